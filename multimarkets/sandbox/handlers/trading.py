"""Trading interface (reference §6.13-§6.22): balances, deposits and orders of customers' exchange accounts.

Every call needs the ``group: tradeApi`` header and the account block (``tradeType`` 10, ``exchangeId``,
``accountName``, ``customerNo``, ``customerGroupId``, optional ``customerId``). Market, funds and fill rules
are in :mod:`._orders`, balances and deposit history in :mod:`._ledger`, the price in :mod:`._market`.

Choices where the reference is silent (the error codes are picked from its tables):

- An account block that names no exchange account of this company, or whose ``customerGroupId`` /
  ``customerId`` do not match the customer, is ``GGATEWAY_CODE_101`` ("Invalid account info").
- An unknown ``symbolId``, or a product that is not a Bridge product (``tradeType`` 10), is ``CFDWBWE000013``
  ("Product not configured").
- An order that cannot be accepted (funds, Binance's 5 USDT minimum, a ``clientOrderId`` the company used
  before) is ``CFDWBWE000001`` ("Order failed"); a malformed field is ``GGATEWAY_CODE_015``.
- An unknown order, or one older than three months, is ``USCUSTOMER_API_0000003`` ("Data not exist");
  cancelling a filled, cancelled or expired order is ``USCUSTOMER_API_0000004`` ("current action is not
  allowed").
- Transaction record: ``end - start`` over 24 hours, or a start more than three months back, is
  ``GGATEWAY_CODE_015``; with one bound only, the window is the 24 hours from (or up to) it; with none, the
  most recent fills. ``limit`` below 1 or above 100 becomes 20, as documented; rows are oldest first.
- Deposit records: newest first, ``limit`` as above; ``startTime``/``endTime``/``limit`` are documented as
  strings and integers are accepted too.
- OKX answers a new order with ``clientOrderId`` and ``status`` only, and ignores ``timeInForce`` (GTC), as
  documented; Binance answers the whole order.
- Sandbox only: ``sandbox.MarketService.setPrice`` ``{"symbolId", "price", "walk"?}`` fixes a product's price
  and makes the market tick once (resting orders it crosses fill, one liquidity's worth each; set the same
  price again for the next tick); ``sandbox.MarketService.getPrice`` ``{"symbolId"}`` reads it.
  They are signed calls like any other (``client.call(...)``), so tests drive the market without sleeping.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import codes
from ..context import BizError, Handler, RequestContext
from . import _ledger, _orders
from ._market import current_price, set_price
from ._validate import AMOUNT_DIGITS, invalid, optional_bool, optional_int, optional_str, require_int, require_str
from .accounts import DirectAccount, find_trading_account
from .catalog import ProductSpec, currency_digits, product

__all__ = ["HANDLERS"]

TRADE_API = "tradeApi"
TRADE_TYPE_BRIDGE = 10
INVALID_ACCOUNT = "GGATEWAY_CODE_101"
PRODUCT_NOT_CONFIGURED = "CFDWBWE000013"
ORDER_FAILED = "CFDWBWE000001"
THREE_MONTHS_MS = 90 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000
DEFAULT_LIMIT = 20

_CLIENT_ORDER_ID = re.compile(r"[a-zA-Z0-9]{1,20}")
_DEPOSIT_STATUSES = ("1", "2", "3", "4", "5", "6")


def _account(ctx: RequestContext, body: dict[str, Any]) -> DirectAccount:
    """Check the group header and the account block; settle the market up to now."""
    ctx.require_group(TRADE_API)
    if require_int(body, "tradeType") != TRADE_TYPE_BRIDGE:
        raise invalid("tradeType", "must be 10 (Transaction Bridge)")
    exchange = require_str(body, "exchangeId")
    if exchange not in ("binance", "okx"):
        raise invalid("exchangeId", "must be binance or okx")
    name = require_str(body, "accountName")
    customer_no = require_str(body, "customerNo")
    group_id = require_int(body, "customerGroupId", low=1)
    customer_id = optional_int(body, "customerId", low=1)
    account = find_trading_account(ctx.store, ctx.company_id, customer_no, exchange, name)
    customer = ctx.store.customers.get(customer_no)
    if (
        account is None
        or customer is None
        or customer.customer_group_id != group_id
        or (customer_id is not None and customer_id != customer.id)
    ):
        raise BizError(INVALID_ACCOUNT, "Invalid account info")
    _ledger.ensure_seeded(ctx.store, account)
    _orders.match_resting(ctx.store, ctx.events, ctx.now_ms)
    return account


def _product(body: dict[str, Any]) -> ProductSpec:
    spec = product(require_int(body, "symbolId"))
    if spec is None or spec.trade_type != TRADE_TYPE_BRIDGE:
        raise BizError(PRODUCT_NOT_CONFIGURED, "Product not configured")
    return spec


def _loose_int(body: dict[str, Any], name: str) -> int | None:
    """An integer given as a number or a string of digits (the docs type these fields both ways)."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(name, "must be an integer")
    return value


def _limit(body: dict[str, Any]) -> int:
    limit = _loose_int(body, "limit")
    return DEFAULT_LIMIT if limit is None or not 1 <= limit <= 100 else limit


def _decimal(body: dict[str, Any], name: str) -> Decimal | None:
    text = optional_str(body, name)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid(name, "is not a decimal number") from None
    if not value.is_finite() or value <= 0:
        raise invalid(name, "must be above zero")
    if value.adjusted() >= AMOUNT_DIGITS:
        raise invalid(name, f"must be below 10^{AMOUNT_DIGITS}")
    return value


def _fits(value: Decimal, digits: int) -> bool:
    return value == value.quantize(Decimal(1).scaleb(-digits))


async def balances(ctx: RequestContext, body: dict[str, Any]) -> list[dict[str, str]]:
    """The account's balances (``balance`` includes ``locked``)."""
    account = _account(ctx, body)
    omit_zero = optional_bool(body, "omitZeroBalances", False)
    wanted = optional_str(body, "currency")
    names = None if wanted is None else {name.strip() for name in wanted.split(",")}
    rows = []
    for holding in _ledger.holdings_of(ctx.store, account.id):
        free, locked = Decimal(holding.free), Decimal(holding.locked)
        if (names is not None and holding.currency not in names) or (omit_zero and free + locked == 0):
            continue
        total = _ledger.quantize(free + locked, holding.currency)
        rows.append({"currency": holding.currency, "balance": _ledger.fmt(total), "locked": holding.locked})
    return rows


async def deposits(ctx: RequestContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The account's deposit records, newest first."""
    account = _account(ctx, body)
    currency = optional_str(body, "currency")
    status = optional_str(body, "status")
    if status is not None and status not in _DEPOSIT_STATUSES:
        raise invalid("status", "must be 1 to 6")
    tx_id = optional_str(body, "txId")
    start, end = _loose_int(body, "startTime"), _loose_int(body, "endTime")
    if start is not None and end is not None and end < start:
        raise invalid("endTime", "is before startTime")
    rows = [
        {
            "currency": d.currency,
            "amount": d.amount,
            "status": d.status,
            "txId": d.tx_id,
            "address": d.address,
            "network": d.network,
            "walletType": d.wallet_type,
            "confirmTimes": d.confirm_times,
            "createTime": d.create_time,
        }
        for d in _ledger.deposits_of(ctx.store, account.id)
        if (currency is None or d.currency == currency)
        and (status is None or d.status == status)
        and (tx_id is None or d.tx_id == tx_id)
        and (start is None or d.create_time >= start)
        and (end is None or d.create_time <= end)
    ]
    return rows[: _limit(body)]


def _place_fields(body: dict[str, Any], spec: ProductSpec, exchange: str) -> dict[str, Any]:
    biz_type = require_int(body, "bizType", low=1, high=2)
    direction = require_int(body, "direction", low=1, high=2)
    price, num, amount = _decimal(body, "price"), _decimal(body, "num"), _decimal(body, "amount")
    time_in_force = optional_str(body, "timeInForce")
    if time_in_force is not None and time_in_force not in ("GTC", "IOC", "FOK"):
        raise invalid("timeInForce", "must be GTC, IOC or FOK")
    if num is None and amount is None:
        raise invalid("num", "or amount is required")
    if num is not None:
        amount = None  # documented: when both are given, num wins
        if not _fits(num, currency_digits(spec.base)):
            raise invalid("num", f"has more than {currency_digits(spec.base)} decimals")
    if biz_type == _orders.LIMIT:
        if price is None:
            raise invalid("price", "is required for a limit order")
        if num is None:
            raise invalid("num", "is required: limit orders are placed by quantity")
        if not _fits(price, spec.price_digits):
            raise invalid("price", f"has more than {spec.price_digits} decimals")
        time_in_force = "GTC" if exchange == "okx" else (time_in_force or "GTC")
    else:
        price, time_in_force = None, None
    return {
        "biz_type": biz_type,
        "direction": direction,
        "price": price,
        "num": num,
        "amount": amount,
        "time_in_force": time_in_force,
    }


async def add_order(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """Place an order; it fills, rests or expires at once as the market allows."""
    account = _account(ctx, body)
    spec = _product(body)
    fields = _place_fields(body, spec, account.exchange_code)
    client_order_id = optional_str(body, "clientOrderId", pattern=_CLIENT_ORDER_ID) or secrets.token_hex(10)
    if _orders.client_order_id_taken(ctx.store, ctx.company_id, client_order_id):
        raise BizError(ORDER_FAILED, f"Order failed: clientOrderId {client_order_id} was used before")
    market = current_price(ctx.store, spec, ctx.now_ms)
    reference = fields["price"] or market
    quantity = fields["num"]
    if quantity is None:
        quantity = _ledger.quantize(fields["amount"] / market, spec.base)
        if quantity <= 0:
            raise BizError(ORDER_FAILED, "Order failed: the amount buys less than the smallest quantity")
    if account.exchange_code == "binance" and quantity * reference < spec.min_notional:
        raise BizError(ORDER_FAILED, f"Order failed: below the minimum order value of {spec.min_notional} {spec.quote}")
    if fields["direction"] == _orders.BUY:
        held = _orders.cost_of(quantity, reference, spec.quote)
        funded = _ledger.lock(ctx.store, account.id, spec.quote, held)
    else:
        held = quantity
        funded = _ledger.lock(ctx.store, account.id, spec.base, held)
    if not funded:
        raise BizError(ORDER_FAILED, "Order failed: insufficient balance")
    order = _orders.OrderRecord(
        order_id=_orders.new_order_id(ctx.store),
        client_order_id=client_order_id,
        api_key=ctx.api_key,
        company_id=ctx.company_id,
        account_id=account.id,
        customer_id=account.customer_id,
        customer_no=account.customer_no,
        exchange_id=account.exchange_code,
        account_name=account.account_name,
        symbol_id=spec.symbol_id,
        biz_type=fields["biz_type"],
        direction=fields["direction"],
        quantity=_ledger.fmt(quantity),
        price=None if fields["price"] is None else _ledger.fmt(fields["price"]),
        num=None if fields["num"] is None else _ledger.fmt(fields["num"]),
        amount=None if fields["amount"] is None else _ledger.fmt(fields["amount"]),
        time_in_force=fields["time_in_force"],
        status=_orders.SUBMITTED,
        executed_num="0",
        executed_amount="0",
        locked=_ledger.fmt(held),
        create_time=ctx.now_ms,
        update_time=ctx.now_ms,
    )
    _orders.orders_of(ctx.store).put(order.order_id, order)
    order = _orders.execute_new(ctx.store, ctx.events, order, ctx.now_ms)
    if account.exchange_code == "okx":
        return {"clientOrderId": order.client_order_id, "status": order.status}
    return _orders.order_view(order)


def _lookup(ctx: RequestContext, body: dict[str, Any]) -> _orders.OrderRecord:
    account = _account(ctx, body)
    spec = _product(body)
    order_id = optional_str(body, "orderId")
    client_order_id = optional_str(body, "clientOrderId")
    if order_id is None and client_order_id is None:
        raise invalid("orderId", "or clientOrderId is required")
    order = _orders.find_order(ctx.store, account, spec.symbol_id, order_id, client_order_id)
    if order is None or ctx.now_ms - order.create_time > THREE_MONTHS_MS:
        raise BizError(codes.DATA_NOT_EXIST)
    return order


async def query_order(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """One order of the last three months."""
    return _orders.order_view(_lookup(ctx, body))


async def cancel_order(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """Cancel an open order."""
    order = _lookup(ctx, body)
    if order.status not in _orders.OPEN:
        raise BizError(codes.ACTION_NOT_ALLOWED, f"Order {order.order_id} has ended (status {order.status})")
    order = _orders.cancel(ctx.store, ctx.events, order, ctx.now_ms)
    return {"exchangeId": order.exchange_id, "orderId": order.order_id, "clientOrderId": order.client_order_id}


async def trade_record(ctx: RequestContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Fills of the account on one product, within 24 hours and the last three months."""
    account = _account(ctx, body)
    spec = _product(body)
    start, end = _loose_int(body, "startTime"), _loose_int(body, "endTime")
    if start is not None and end is not None:
        if end < start:
            raise invalid("endTime", "is before startTime")
        if end - start > DAY_MS:
            raise invalid("endTime", "may be at most 24 hours after startTime")
    elif start is not None:
        end = start + DAY_MS
    elif end is not None:
        start = end - DAY_MS
    oldest = ctx.now_ms - THREE_MONTHS_MS
    if start is not None and start < oldest:
        raise invalid("startTime", "must be within the last three months")
    fills = sorted(
        (
            f
            for f in _orders.fills_of(ctx.store).values()
            if f.account_id == account.id
            and f.symbol_id == spec.symbol_id
            and f.execute_time >= (oldest if start is None else start)
            and (end is None or f.execute_time <= end)
        ),
        key=lambda f: (f.execute_time, int(f.trade_id)),
    )
    limit = _limit(body)
    chosen = fills[:limit] if start is not None else fills[-limit:]
    return [
        {
            "tradeId": f.trade_id,
            "orderId": f.order_id,
            "clientOrderId": f.client_order_id,
            "symbolId": f.symbol_id,
            "direction": f.direction,
            "executeNum": f.execute_num,
            "executePrice": f.execute_price,
            "executeTime": f.execute_time,
            "commission": f.commission,
            "commissionCurrency": f.commission_currency,
        }
        for f in chosen
    ]


async def set_market_price(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """Sandbox only: fix a product's price, then fill the resting orders it crosses."""
    spec = _product(body)
    price = _decimal(body, "price")
    if price is None:
        raise invalid("price", "is required")
    set_price(ctx.store, spec, price, ctx.now_ms, walk=optional_bool(body, "walk", False))
    _orders.match_resting(ctx.store, ctx.events, ctx.now_ms, tick=spec.symbol_id)
    return {"symbolId": spec.symbol_id, "price": _ledger.fmt(current_price(ctx.store, spec, ctx.now_ms))}


async def get_market_price(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """Sandbox only: a product's current price."""
    spec = _product(body)
    return {"symbolId": spec.symbol_id, "price": _ledger.fmt(current_price(ctx.store, spec, ctx.now_ms))}


HANDLERS: dict[str, Handler] = {
    "tradeapi.admin.AccountAdminService.queryBalances": balances,
    "tradeapi.admin.AccountAdminService.queryDepositList": deposits,
    "tradeapi.admin.OrderAdminApiService.addDirectOrder": add_order,
    "tradeapi.admin.OrderAdminApiService.queryDirectOrder": query_order,
    "tradeapi.admin.OrderAdminApiService.queryDirectTradeRecord": trade_record,
    "tradeapi.admin.OrderAdminApiService.cancelDirectOrder": cancel_order,
    "sandbox.MarketService.setPrice": set_market_price,
    "sandbox.MarketService.getPrice": get_market_price,
}
