"""Orders and fills: the exchange behind the trading bridge, played over the simulated market price.

- A market order fills at once, completely, at the current price.
- A limit order that crosses the price when placed fills at the current price; one resting in the book fills
  at its limit price when the market crosses it. The book is checked on every trading request, and trades
  when the price has moved since the last check or a test has just set it; each such tick fills at most the
  product's ``liquidity`` (base quantity), so big orders fill in parts over time (status 3, then 2).
- IOC keeps what fills at once and expires the rest; FOK fills completely at once or expires untouched.
  Expired orders have status 7.
- Funds: a buy locks the quote currency (limit price, or current price for market orders), a sell locks the
  base quantity; fills spend the locked funds and credit the proceeds less a 0.1% commission on what is
  received (reported negative: charged). What is still locked returns when the order ends.
- Every fill emits ``ORDER_EXEC_REPORT`` (its ``status`` is the order's after the fill), a cancellation
  ``ORDER_CANCEL_REPORT``, an expiry ``ORDER_EXPIRED_REPORT``: to the webhook of the API key that placed it.
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal
from typing import Any

import attrs

from ..context import EventSink
from ..state import Store, Table
from . import _ledger
from ._ledger import fmt
from ._market import current_price
from ._validate import company_id_value
from .accounts import DirectAccount
from .catalog import PRODUCTS, ProductSpec, currency_digits

__all__ = [
    "FillRecord",
    "OrderRecord",
    "cancel",
    "client_order_id_taken",
    "cost_of",
    "execute_new",
    "fills_of",
    "find_order",
    "match_resting",
    "new_order_id",
    "order_view",
    "orders_of",
]

SUBMITTED, FILLED, PARTIAL, CANCELLED, EXPIRED = "1", "2", "3", "4", "7"
OPEN = (SUBMITTED, PARTIAL)
MARKET, LIMIT = 1, 2
BUY, SELL = 1, 2
COMMISSION_RATE = Decimal("0.001")
TRADE_TYPE = 10


@attrs.frozen
class OrderRecord:
    """One order; decimals are exact strings. ``locked`` is what the order still holds of the account's funds."""

    order_id: str
    client_order_id: str
    api_key: str
    company_id: str
    account_id: int
    customer_id: int
    customer_no: str
    exchange_id: str
    account_name: str
    symbol_id: int
    biz_type: int
    direction: int
    quantity: str
    """Base quantity to fill: ``num``, or ``amount`` turned into a quantity at the price when placed."""
    price: str | None
    num: str | None
    amount: str | None
    time_in_force: str | None
    status: str
    executed_num: str
    executed_amount: str
    locked: str
    create_time: int
    update_time: int


@attrs.frozen
class FillRecord:
    """One fill (trade) of an order."""

    trade_id: str
    order_id: str
    client_order_id: str
    account_id: int
    symbol_id: int
    direction: int
    execute_num: str
    execute_price: str
    execute_time: int
    commission: str
    commission_currency: str


def orders_of(store: Store) -> Table[OrderRecord]:
    """The orders table, by order id."""
    return store.table("orders", OrderRecord)


def fills_of(store: Store) -> Table[FillRecord]:
    """The fills table, by trade id."""
    return store.table("fills", FillRecord)


def _header(order: OrderRecord) -> dict[str, Any]:
    return {
        "exchangeId": order.exchange_id,
        "tradeType": TRADE_TYPE,
        "companyId": company_id_value(order.company_id),
        "customerId": order.customer_id,
        "customerNo": order.customer_no,
        "accountName": order.account_name,
    }


def order_view(order: OrderRecord) -> dict[str, Any]:
    """The order as "query order" answers it."""
    return {
        "exchangeId": order.exchange_id,
        "orderId": order.order_id,
        "clientOrderId": order.client_order_id,
        "status": order.status,
        "timeInForce": order.time_in_force,
        "symbolId": order.symbol_id,
        "bizType": order.biz_type,
        "direction": order.direction,
        "price": order.price,
        "num": order.num,
        "amount": order.amount,
        "executedNum": order.executed_num,
        "executedAmount": order.executed_amount,
        "createTime": order.create_time,
        "updateTime": order.update_time,
    }


def cost_of(quantity: Decimal, price: Decimal, currency: str) -> Decimal:
    return (quantity * price).quantize(Decimal(1).scaleb(-currency_digits(currency)), rounding=ROUND_UP)


def _release(store: Store, order: OrderRecord, product: ProductSpec) -> OrderRecord:
    held = Decimal(order.locked)
    if held > 0:
        _ledger.unlock(store, order.account_id, product.quote if order.direction == BUY else product.base, held)
    return attrs.evolve(order, locked="0")


def _fill(
    store: Store, events: EventSink, order: OrderRecord, quantity: Decimal, price: Decimal, now_ms: int
) -> OrderRecord:
    product = PRODUCTS[order.symbol_id]
    cost = cost_of(quantity, price, product.quote)
    held = Decimal(order.locked)
    if order.direction == BUY:
        spent = min(cost, held)
        _ledger.spend_locked(store, order.account_id, product.quote, spent)
        received, received_currency = quantity, product.base
    else:
        spent = min(quantity, held)
        _ledger.spend_locked(store, order.account_id, product.base, spent)
        received, received_currency = cost, product.quote
    commission = _ledger.quantize(received * COMMISSION_RATE, received_currency)
    _ledger.credit(store, order.account_id, received_currency, received - commission)
    executed = Decimal(order.executed_num) + quantity
    status = FILLED if executed >= Decimal(order.quantity) else PARTIAL
    order = attrs.evolve(
        order,
        status=status,
        executed_num=fmt(executed),
        executed_amount=fmt(Decimal(order.executed_amount) + cost),
        locked=fmt(held - spent),
        update_time=now_ms,
    )
    if status == FILLED:
        order = _release(store, order, product)
    trade_id = str(store.next_number("trade", 5_000_000_001))
    commission_text = fmt(-commission) if commission else fmt(commission)
    fill = FillRecord(
        trade_id=trade_id,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        account_id=order.account_id,
        symbol_id=order.symbol_id,
        direction=order.direction,
        execute_num=fmt(quantity),
        execute_price=fmt(price),
        execute_time=now_ms,
        commission=commission_text,
        commission_currency=received_currency,
    )
    fills_of(store).put(trade_id, fill)
    orders_of(store).put(order.order_id, order)
    report = {
        **_header(order),
        "tradeId": trade_id,
        "orderId": order.order_id,
        "clientOrderId": order.client_order_id,
        "executeNum": fill.execute_num,
        "executePrice": fill.execute_price,
        "executeTime": now_ms,
        "symbolId": order.symbol_id,
        "commission": commission_text,
        "commissionCurrency": received_currency,
        "status": status,
        "remark": "",
    }
    events.emit(order.api_key, order.company_id, "ORDER_EXEC_REPORT", report)
    return order


def _end(store: Store, events: EventSink, order: OrderRecord, status: str, event_type: str, now_ms: int) -> OrderRecord:
    order = attrs.evolve(_release(store, order, PRODUCTS[order.symbol_id]), status=status, update_time=now_ms)
    orders_of(store).put(order.order_id, order)
    report = {**_header(order), "orderId": order.order_id, "clientOrderId": order.client_order_id, "remark": ""}
    if status == EXPIRED:
        report["status"] = status
    events.emit(order.api_key, order.company_id, event_type, report)
    return order


def _crossed(order: OrderRecord, price: Decimal) -> bool:
    limit = Decimal(order.price or "0")
    return price <= limit if order.direction == BUY else price >= limit


def _remaining(order: OrderRecord) -> Decimal:
    return Decimal(order.quantity) - Decimal(order.executed_num)


def execute_new(store: Store, events: EventSink, order: OrderRecord, now_ms: int) -> OrderRecord:
    """Run a just-placed order against the market: fill, rest or expire it."""
    product = PRODUCTS[order.symbol_id]
    price = current_price(store, product, now_ms)
    quantity = Decimal(order.quantity)
    if order.biz_type == MARKET:
        return _fill(store, events, order, quantity, price, now_ms)
    crossed = _crossed(order, price)
    if order.time_in_force == "FOK":
        if crossed and quantity <= product.liquidity:
            return _fill(store, events, order, quantity, price, now_ms)
        return _end(store, events, order, EXPIRED, "ORDER_EXPIRED_REPORT", now_ms)
    if crossed:
        order = _fill(store, events, order, min(quantity, product.liquidity), price, now_ms)
    if order.time_in_force == "IOC" and order.status in OPEN:
        order = _end(store, events, order, EXPIRED, "ORDER_EXPIRED_REPORT", now_ms)
    return order


def match_resting(store: Store, events: EventSink, now_ms: int, *, tick: int | None = None) -> None:
    """Fill resting limit orders the market has crossed, one product-liquidity's worth each per market tick.

    A product ticks when its price differs from the last price it was matched at, or when ``tick`` names it
    (a test set its price): a fixed price fills nothing more until it is set again.
    """
    prices = {symbol_id: current_price(store, p, now_ms) for symbol_id, p in PRODUCTS.items()}
    ticking = {
        symbol_id
        for symbol_id, price in prices.items()
        if symbol_id == tick or store.get_meta(f"market.matched.{symbol_id}") != fmt(price)
    }
    for order in orders_of(store).values():
        resting = order.status in OPEN and order.biz_type == LIMIT and order.symbol_id in ticking
        if resting and _crossed(order, prices[order.symbol_id]):
            liquidity = PRODUCTS[order.symbol_id].liquidity
            _fill(store, events, order, min(_remaining(order), liquidity), Decimal(order.price or "0"), now_ms)
    for symbol_id in ticking:
        store.set_meta(f"market.matched.{symbol_id}", fmt(prices[symbol_id]))


def cancel(store: Store, events: EventSink, order: OrderRecord, now_ms: int) -> OrderRecord:
    """Cancel an open order at the customer's request."""
    return _end(store, events, order, CANCELLED, "ORDER_CANCEL_REPORT", now_ms)


def find_order(
    store: Store, account: DirectAccount, symbol_id: int, order_id: str | None, client_order_id: str | None
) -> OrderRecord | None:
    """The account's order on ``symbol_id`` by order id (preferred) or client order id."""
    if order_id is not None:
        order = orders_of(store).get(order_id)
        if order is None or order.account_id != account.id or order.symbol_id != symbol_id:
            return None
        return order
    for order in orders_of(store).values():
        if order.account_id == account.id and order.client_order_id == client_order_id:
            return order if order.symbol_id == symbol_id else None
    return None


def client_order_id_taken(store: Store, company_id: str, client_order_id: str) -> bool:
    """True when the company already has an order with this client order id."""
    return any(o.company_id == company_id and o.client_order_id == client_order_id for o in orders_of(store).values())


def new_order_id(store: Store) -> str:
    """The next platform order number."""
    return str(store.next_number("order", 1_000_000_001))
