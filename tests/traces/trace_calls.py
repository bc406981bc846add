"""Every single-call method of both clients, written once for the async and the sync client and for their
``with_raw_response``; the state they need, built through the same clients; and a record of the wire.

A call is ``lambda c, w: c.<resource>.<method>(...)``: on an async client it gives an awaitable, on a sync one
the result. A world builder is a generator that yields each call and receives its result, so one builder
serves both kinds of client (:func:`drive_async`, :func:`drive_sync`).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any

import aiohttp
import attrs

from multimarkets import TradingAccount
from multimarkets.manager.resources.accounts import AsyncManagerAccounts
from multimarkets.manager.resources.catalog import AsyncManagerCatalog
from multimarkets.manager.resources.customers import AsyncManagerCustomers
from multimarkets.resources.accounts import AsyncAccounts
from multimarkets.resources.catalog import CURRENCIES, AsyncCatalog
from multimarkets.resources.customers import AsyncCustomers
from multimarkets.resources.trading import AsyncTrading
from multimarkets.resources.webhooks import AsyncWebhooks
from multimarkets.sandbox import Handler, RequestContext

BTCUSDT = 59
SET_PRICE = "sandbox.MarketService.setPrice"
Call = Callable[[Any, Any], Any]
Steps = Generator[Any, Any, Any]


@attrs.frozen
class BridgeWorld:
    customer_no: str
    spare_customer_no: str
    account: TradingAccount
    account_id: str
    order_id: str
    open_order_id: str


def binance_spot(name: str, n: int) -> dict[str, str]:
    """The options of ``accounts.add`` for the n-th Binance spot account, named ``name``."""
    keys = {"api_key": f"binance-api-key-{n:04d}", "secret_key": f"binance-secret-{n:04d}"}
    return {"exchange_code": "binance", "account_type": "spot", "account_name": name, **keys}


def bridge_world(c: Any) -> Steps:
    """A customer with a Binance spot account, one filled and one open order; a spare customer to cancel."""
    customer_no = yield c.customers.register(phone="13200000001", password="a123456", country="CN", register_source=1)
    spare = yield c.customers.register(phone="13200000002", password="a123456", country="CN", register_source=1)
    yield c.accounts.add(customer_no, **binance_spot("main", 1))
    page = yield c.accounts.list(customer_no)
    account = TradingAccount(exchange_id="binance", account_name="main", customer_no=customer_no)
    yield c.call(SET_PRICE, {"symbolId": BTCUSDT, "price": "60000"}, idempotent=True)
    filled = yield c.trading.place_order(account, BTCUSDT, side="buy", order_type="market", quantity="0.001")
    resting = yield c.trading.place_order(
        account, BTCUSDT, side="buy", order_type="limit", quantity="0.01", price="50000"
    )
    return BridgeWorld(customer_no, spare, account, page.items[0].id, filled.order_id, resting.order_id)


BRIDGE: dict[str, Call] = {
    "catalog.dictionaries": lambda c, w: c.catalog.dictionaries("phone_code"),
    "catalog.currencies": lambda c, w: c.catalog.currencies(),
    "catalog.products": lambda c, w: c.catalog.products(),
    "customers.register": lambda c, w: c.customers.register(
        email="new@example.com", password="a123456", country="GB", register_source=1
    ),
    "customers.list": lambda c, w: c.customers.list(),
    "customers.get": lambda c, w: c.customers.get(w.customer_no),
    "customers.cancel": lambda c, w: c.customers.cancel(w.spare_customer_no, remark="leaving", auto=True),
    "accounts.add": lambda c, w: c.accounts.add(w.customer_no, **binance_spot("second", 2)),
    "accounts.update": lambda c, w: c.accounts.update(w.account_id, account_name="renamed"),
    "accounts.list": lambda c, w: c.accounts.list(w.customer_no),
    "trading.balances": lambda c, w: c.trading.balances(w.account),
    "trading.deposits": lambda c, w: c.trading.deposits(w.account),
    "trading.place_order": lambda c, w: c.trading.place_order(
        w.account, BTCUSDT, side="buy", order_type="market", quantity="0.001"
    ),
    "trading.get_order": lambda c, w: c.trading.get_order(w.account, BTCUSDT, order_id=w.order_id),
    "trading.trades": lambda c, w: c.trading.trades(w.account, BTCUSDT),
    "trading.cancel_order": lambda c, w: c.trading.cancel_order(w.account, BTCUSDT, order_id=w.open_order_id),
    "webhooks.subscribe": lambda c, w: c.webhooks.subscribe("http://127.0.0.1:9/hook"),
    "call": lambda c, w: c.call(CURRENCIES, {"companyId": "1"}, idempotent=True),
}


@attrs.frozen
class ManagerWorld:
    customer_no: str
    customer_id: int


def manager_world(c: Any) -> Steps:
    """A customer with a USDT account of trading mode 1."""
    customer_no = yield c.customers.register(
        phone="13200000001", phone_area="+86", password="a123456", country="CN", accounts={1: ["USDT"]}
    )
    page = yield c.customers.list(customer_no)
    return ManagerWorld(customer_no, page.items[0].id)


MANAGER: dict[str, Call] = {
    "catalog.dictionaries": lambda c, w: c.catalog.dictionaries("USDT"),
    "catalog.currencies": lambda c, w: c.catalog.currencies(),
    "catalog.products": lambda c, w: c.catalog.products(),
    "customers.list": lambda c, w: c.customers.list(),
    "customers.register": lambda c, w: c.customers.register(
        email="new@example.com", password="a123456", country="GB", accounts={5: "USDT,BTC"}
    ),
    "customers.get": lambda c, w: c.customers.get(w.customer_no, w.customer_id),
    "customers.groups": lambda c, w: c.customers.groups(),
    "accounts.list": lambda c, w: c.accounts.list(w.customer_no, 1),
    "accounts.update_balance": lambda c, w: c.accounts.update_balance(
        w.customer_no, currency="USDT", trade_type=1, amount="5.50", remark="bonus"
    ),
    "call": lambda c, w: c.call(CURRENCIES, {"companyId": "1"}, idempotent=True),
}

RESOURCES = {
    "bridge": {
        "catalog": AsyncCatalog,
        "customers": AsyncCustomers,
        "accounts": AsyncAccounts,
        "trading": AsyncTrading,
        "webhooks": AsyncWebhooks,
    },
    "manager": {"catalog": AsyncManagerCatalog, "customers": AsyncManagerCustomers, "accounts": AsyncManagerAccounts},
}


def returns(api: str, name: str) -> Any:
    """What the plain method ``name`` of ``api`` is declared to return, as a type ``isinstance`` takes."""
    if name == "call":
        return object
    resource, method = name.split(".")
    declared = typing.get_type_hints(getattr(RESOURCES[api][resource], method))["return"]
    origin = typing.get_origin(declared)
    return declared if origin in (None, types.UnionType) else origin


def models_in(result: Any) -> list[Any]:
    """The response models in a result: itself, a page and its records, or the items of a list."""
    if isinstance(result, list):
        return [model for item in result for model in models_in(item)]
    if attrs.has(type(result)) and hasattr(result, "trace"):
        return [result, *(item for item in getattr(result, "items", ()) if attrs.has(type(item)))]
    return []


async def drive_async(steps: Steps) -> Any:
    value = None
    try:
        while True:
            value = await typing.cast(Awaitable[Any], steps.send(value))
    except StopIteration as done:
        return done.value


def drive_sync(steps: Steps) -> Any:
    value = None
    try:
        while True:
            value = steps.send(value)
    except StopIteration as done:
        return done.value


@attrs.define
class Exchange:
    """One request as the client put it on the wire, and the HTTP status of its answer."""

    trace: str | None
    status: int | None = None


class Wire:
    """Records every exchange through aiohttp's request hooks (the client's documented ``trace_configs``)."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._start)
        self.config.on_request_end.append(self._end)

    async def _start(self, session: Any, ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
        ctx.exchange = Exchange(params.headers.get("trace"))
        self.exchanges.append(ctx.exchange)

    async def _end(self, session: Any, ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        ctx.exchange.status = params.response.status

    def since(self, start: int) -> list[Exchange]:
        return self.exchanges[start:]


class Handled:
    """The trace of every request the sandbox's Bridge handlers served (through ``Sandbox(handlers=...)``)."""

    def __init__(self) -> None:
        self.traces: list[str] = []

    def wrap(self, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
        def recording(handler: Handler) -> Handler:
            async def handle(ctx: RequestContext, body: dict[str, Any]) -> Any:
                self.traces.append(ctx.trace)
                return await handler(ctx, body)

            return handle

        return {biz_type: recording(handler) for biz_type, handler in handlers.items()}


CALLS = {"bridge": BRIDGE, "manager": MANAGER}
WORLDS = {"bridge": bridge_world, "manager": manager_world}
EVERY_METHOD = [(api, name) for api, calls in CALLS.items() for name in calls]
RETURNS_MODELS = {
    "catalog.dictionaries",
    "catalog.currencies",
    "catalog.products",
    "customers.list",
    "customers.get",
    "customers.groups",
    "accounts.list",
    "trading.balances",
    "trading.deposits",
    "trading.place_order",
    "trading.get_order",
    "trading.trades",
    "trading.cancel_order",
}
