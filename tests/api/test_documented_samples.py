"""The docs' own examples, replayed over loopback through every typed method of both clients.

A recording server answers each bizType with the response example of ``tests/reference/response-samples.json``
(a copy of the docs' samples). Every call must send exactly the documented request example (same keys, same
JSON types) and read the documented answer, under ``strict=True``, into the values it shows.
"""

from __future__ import annotations

import asyncio
import enum
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest

from multimarkets import AsyncBridgeClient, BridgeClient, Credentials, CustomerStatus, OrderStatus, TradingAccount
from multimarkets._convert import to_millis, wire_name

SAMPLES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "reference" / "response-samples.json").read_text(encoding="utf-8")
)["samples"]
ACCOUNT = TradingAccount("binance", "binance-spot-01", "86021976")
API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
WEBHOOK = "https://webhook.site/4fe19259-6b56-425a-ab03-f9575e4a2c36"

# bizType -> the call that sends its documented request example (a client of either kind as argument).
CALLS: dict[str, Callable[[Any], Any]] = {
    "config.admin.AdminDictDubboService.getListByParentCode": lambda c: c.catalog.dictionaries("phone_code"),
    "config.admin.AdminAssetsDubboService.getAssetsList": lambda c: c.catalog.currencies(),
    "config.admin.AdminSymbolDubboService.getSymbolByCompanyId": lambda c: c.catalog.products(),
    "customer.admin.WhiteCustomerAdminApiService.addCustomer": lambda c: c.customers.register(
        phone="13200000092", password="a123456", country="CN", register_source=1, phone_area="+86"
    ),
    "customer.admin.WhiteCustomerAdminApiService.page": lambda c: c.customers.list("86021976", page=1, size=20),
    "customer.admin.WhiteCustomerAdminApiService.detail": lambda c: c.customers.get("86021976"),
    "customer.admin.WhiteCustomerAdminApiService.destroyByCustomerNo": lambda c: c.customers.cancel(
        "86021976", remark="customer request", auto=True
    ),
    "customer.admin.CustomerDirectAccAdminApiService.add": lambda c: c.accounts.add(
        "86021976",
        exchange_code="binance",
        account_type="spot",
        account_name="binance-spot-01",
        api_key=API_KEY,
        secret_key=SECRET,
    ),
    "customer.admin.CustomerDirectAccAdminApiService.edit": lambda c: c.accounts.update(
        "1024", account_name="binance-spot-02"
    ),
    "customer.admin.CustomerDirectAccAdminApiService.getPage": lambda c: c.accounts.list("86021976", page=1, size=20),
    "tradeapi.admin.AccountAdminService.queryBalances": lambda c: c.trading.balances(ACCOUNT, omit_zero=True),
    "tradeapi.admin.AccountAdminService.queryDepositList": lambda c: c.trading.deposits(
        ACCOUNT, currency="USDT", start_time=1661140905000, end_time=1661227305000, limit=20
    ),
    "tradeapi.admin.OrderAdminApiService.addDirectOrder": lambda c: c.trading.place_order(
        ACCOUNT,
        59,
        side="buy",
        order_type="limit",
        price="25000.5",
        quantity="0.001",
        time_in_force="GTC",
        client_order_id="abc123XYZ",
    ),
    "tradeapi.admin.OrderAdminApiService.queryDirectOrder": lambda c: c.trading.get_order(
        ACCOUNT, 59, order_id="28457301"
    ),
    "tradeapi.admin.OrderAdminApiService.queryDirectTradeRecord": lambda c: c.trading.trades(
        ACCOUNT, 59, start_time=1661140905000, end_time=1661227305000, limit=20
    ),
    "tradeapi.admin.OrderAdminApiService.cancelDirectOrder": lambda c: c.trading.cancel_order(
        ACCOUNT, 59, client_order_id="abc123XYZ"
    ),
    "admin.admin.CompanyApiKeyDubboService.subscribe": lambda c: c.webhooks.subscribe(
        WEBHOOK, api_key="dc483e80a7a0bd9ef71d8cf973673924"
    ),
}
# The docs' second name of the customer detail: same answer, so one typed method covers both.
DETAIL = "customer.admin.WhiteCustomerAdminApiService.detail"
ALIASES = {"customer.admin.WhiteCustomerAdminApiService.detailByCustomerNo": DETAIL}


class Recorder(BaseHTTPRequestHandler):
    """Answers ``/global/{bizType}`` with the docs' response example and keeps every request body."""

    received: list[tuple[str, Any, dict[str, str]]]

    def do_POST(self) -> None:
        biz_type = self.path.rsplit("/", 1)[-1]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((biz_type, body, dict(self.headers)))
        answer = json.dumps(SAMPLES[biz_type]["response_example"]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[tuple[str, Any, dict[str, str]]]]]:
    received: list[tuple[str, Any, dict[str, str]]] = []
    handler = type("Handler", (Recorder,), {"received": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def company(credentials: Credentials) -> Credentials:
    """The company of the docs' examples (their bodies carry ``companyId`` "360")."""
    return attrs.evolve(credentials, company_id="360")


def call_with(kind: str, credentials: Credentials, base_url: str, call: Callable[[Any], Any]) -> Any:
    """``call(client)`` on a strict client of ``kind``."""
    if kind == "sync":
        with BridgeClient(credentials, base_url, rate_limit=None, strict=True) as client:
            return call(client)

    async def run() -> Any:
        async with AsyncBridgeClient(credentials, base_url, rate_limit=None, strict=True) as client:
            return await call(client)

    return asyncio.run(run())


def json_typed(value: Any) -> Any:
    """``value`` with every leaf paired with its JSON type, so that ``1``, ``"1"`` and ``true`` all differ."""
    if isinstance(value, dict):
        return {key: json_typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_typed(item) for item in value]
    return (type(value).__name__, value)


def assert_reads(parsed: Any, wire: Any, where: str = "$") -> None:
    """``parsed`` holds exactly what ``wire`` shows: every key of a sample object is a field of its model."""
    if attrs.has(type(parsed)):
        fields = {wire_name(f): f.name for f in attrs.fields(type(parsed)) if f.name != "raw"}
        assert set(wire) <= set(fields), f"{where}: sample keys the model does not read: {set(wire) - set(fields)}"
        assert getattr(parsed, "raw", wire) == wire
        for key, value in wire.items():
            assert_reads(getattr(parsed, fields[key]), value, f"{where}.{key}")
    elif isinstance(parsed, (list, tuple)):
        assert len(parsed) == len(wire), where
        for i, (item, value) in enumerate(zip(parsed, wire, strict=True)):
            assert_reads(item, value, f"{where}[{i}]")
    elif isinstance(parsed, enum.Enum):
        assert parsed.name != "UNKNOWN" and parsed.value == wire and type(parsed.value) is type(wire), where
    elif isinstance(parsed, Decimal):
        assert isinstance(wire, str) and parsed == Decimal(wire), where
    elif isinstance(parsed, datetime):
        assert to_millis(parsed) == wire, where
    else:
        assert parsed == wire and type(parsed) is type(wire), f"{where}: {parsed!r} != {wire!r}"


@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.parametrize("biz_type", sorted(SAMPLES))
def test_every_documented_sample_round_trips(
    server: tuple[str, list[tuple[str, Any, dict[str, str]]]], company: Credentials, kind: str, biz_type: str
) -> None:
    base_url, received = server
    owner = ALIASES.get(biz_type, biz_type)
    sample = SAMPLES[biz_type]
    before = len(received)
    result = call_with(kind, company, base_url, CALLS[owner])

    [(sent_to, body, headers)] = received[before:]
    assert sent_to == owner
    assert json_typed(body) == json_typed(sample["request_example"])
    assert headers.get("group") == ("tradeApi" if owner.startswith("tradeapi.") else None)

    data = sample["response_example"].get("data")
    if owner.endswith(".addCustomer"):
        assert result == data == "86021976"
    elif owner.endswith(".subscribe"):
        assert result is True and data == "true"
    elif data is None:
        assert result is None
    else:
        assert_reads(result, data)


def test_sample_values_spot_check(
    server: tuple[str, list[tuple[str, Any, dict[str, str]]]], credentials: Credentials
) -> None:
    base_url, _ = server
    detail = call_with("sync", credentials, base_url, CALLS[DETAIL])
    assert (detail.id_card_type, detail.assert_pass_status, detail.company_type) == ("", "1", "1")
    assert detail.status is CustomerStatus.NORMAL and detail.company_id == 360
    [customer] = call_with(
        "async", credentials, base_url, CALLS["customer.admin.WhiteCustomerAdminApiService.page"]
    ).items
    assert customer.id_card_type == "" and customer.customer_no == "86021976"
    order = call_with("async", credentials, base_url, CALLS["tradeapi.admin.OrderAdminApiService.queryDirectOrder"])
    assert order.status is OrderStatus.SUBMITTED and order.order_id == "28457301" and not order.is_final


# The documented request fields and their JSON types (reference §6), beyond what the examples show.
TRADING_BLOCK = {
    "tradeType": int,
    "exchangeId": str,
    "accountName": str,
    "customerId": int,
    "customerNo": str,
    "customerGroupId": int,
}
LOOKUP = {**TRADING_BLOCK, "symbolId": int, "orderId": str, "clientOrderId": str}
CONTRACT: dict[str, dict[str, type]] = {
    "customer.admin.WhiteCustomerAdminApiService.addCustomer": {
        "phone": str,
        "email": str,
        "phoneArea": str,
        "emailArea": str,
        "pwd": str,
        "country": str,
        "registerSource": int,
        "customerGroupId": int,
        "remark": str,
    },
    "customer.admin.WhiteCustomerAdminApiService.page": {"customerNo": str, "current": str, "size": str},
    "customer.admin.CustomerDirectAccAdminApiService.add": {
        "customerNo": str,
        "exchangeCode": str,
        "accountType": str,
        "accountName": str,
        "accountApiKey": str,
        "accountSecretKey": str,
        "passphrase": str,
        "isTest": int,
        "certificate": str,
    },
    "customer.admin.CustomerDirectAccAdminApiService.edit": {
        "id": str,
        "accountName": str,
        "accountApiKey": str,
        "accountSecretKey": str,
        "passphrase": str,
        "certificate": str,
    },
    "customer.admin.CustomerDirectAccAdminApiService.getPage": {
        "customerNo": str,
        "exchangeCode": str,
        "accountType": str,
        "accountName": str,
        "current": str,
        "size": str,
    },
    "tradeapi.admin.AccountAdminService.queryBalances": {**TRADING_BLOCK, "omitZeroBalances": bool, "currency": str},
    "tradeapi.admin.AccountAdminService.queryDepositList": {
        **TRADING_BLOCK,
        "currency": str,
        "status": str,
        "txId": str,
        "startTime": str,
        "endTime": str,
        "limit": str,
    },
    "tradeapi.admin.OrderAdminApiService.addDirectOrder": {
        **TRADING_BLOCK,
        "symbolId": int,
        "bizType": int,
        "direction": int,
        "price": str,
        "num": str,
        "amount": str,
        "timeInForce": str,
        "clientOrderId": str,
    },
    "tradeapi.admin.OrderAdminApiService.queryDirectOrder": LOOKUP,
    "tradeapi.admin.OrderAdminApiService.cancelDirectOrder": LOOKUP,
    "tradeapi.admin.OrderAdminApiService.queryDirectTradeRecord": {
        **TRADING_BLOCK,
        "symbolId": int,
        "startTime": int,
        "endTime": int,
        "limit": int,
    },
    "config.admin.AdminSymbolDubboService.getSymbolByCompanyId": {"companyId": str, "tradeType": int},
}
WITH_ID = TradingAccount("okx", "okx-01", "86021976", customer_group_id=2, customer_id=21976)
VARIANTS: list[tuple[str, Callable[[Any], Any]]] = [
    (
        "customer.admin.WhiteCustomerAdminApiService.addCustomer",
        lambda c: c.customers.register(
            email="user@example.com",
            email_area="+86",
            password_md5="dc483e80a7a0bd9ef71d8cf973673924",
            country="cn",
            register_source="H5",
            customer_group_id="2",
            remark="vip",
        ),
    ),
    ("customer.admin.WhiteCustomerAdminApiService.page", lambda c: c.customers.list(page="2", size=100)),
    (
        "customer.admin.CustomerDirectAccAdminApiService.add",
        lambda c: c.accounts.add(
            "86021976",
            exchange_code="cumberland",
            account_type="futures",
            account_name="cb-01",
            api_key="counterparty",
            secret_key="user",
            passphrase="p",
            certificate="0a0b",
            is_test=True,
        ),
    ),
    (
        "customer.admin.CustomerDirectAccAdminApiService.edit",
        lambda c: c.accounts.update(1024, api_key="k", secret_key="s", passphrase="p", certificate="ff"),
    ),
    (
        "customer.admin.CustomerDirectAccAdminApiService.getPage",
        lambda c: c.accounts.list(exchange_code="okx", account_type="spot", account_name="main", page=3, size=50),
    ),
    (
        "tradeapi.admin.AccountAdminService.queryBalances",
        lambda c: c.trading.balances(WITH_ID, currencies=["USDT", "BTC"]),
    ),
    (
        "tradeapi.admin.AccountAdminService.queryDepositList",
        lambda c: c.trading.deposits(WITH_ID, status="completed", tx_id="0x5f", limit="100"),
    ),
    (
        "tradeapi.admin.OrderAdminApiService.addDirectOrder",
        lambda c: c.trading.place_order(WITH_ID, "59", side="sell", order_type="market", quote_amount=10),
    ),
    (
        "tradeapi.admin.OrderAdminApiService.queryDirectOrder",
        lambda c: c.trading.get_order(WITH_ID, 59, client_order_id="abc123XYZ"),
    ),
    (
        "tradeapi.admin.OrderAdminApiService.cancelDirectOrder",
        lambda c: c.trading.cancel_order(WITH_ID, 59, order_id="28457301", client_order_id="abc123XYZ"),
    ),
    ("tradeapi.admin.OrderAdminApiService.queryDirectTradeRecord", lambda c: c.trading.trades(WITH_ID, 59)),
    ("config.admin.AdminSymbolDubboService.getSymbolByCompanyId", lambda c: c.catalog.products(trade_type=3)),
]


@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.parametrize(
    ("biz_type", "variant"), VARIANTS, ids=[f"{b.rsplit('.', 1)[1]}-{i}" for i, (b, _) in enumerate(VARIANTS)]
)
def test_argument_variants_send_only_documented_fields_of_documented_types(
    server: tuple[str, list[tuple[str, Any, dict[str, str]]]],
    credentials: Credentials,
    kind: str,
    biz_type: str,
    variant: Callable[[Any], Any],
) -> None:
    base_url, received = server
    before = len(received)
    call_with(kind, credentials, base_url, variant)
    [(sent_to, body, _)] = received[before:]
    assert sent_to == biz_type
    contract = CONTRACT[biz_type]
    assert set(body) <= set(contract), f"undocumented fields: {set(body) - set(contract)}"
    for key, value in body.items():
        assert type(value) is contract[key], (
            f"{key}: {type(value).__name__} where the docs type {contract[key].__name__}"
        )
