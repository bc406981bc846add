"""client.trading orders: placing, filling, cancelling and looking up orders against the sandbox market.

Balances, deposits and the transaction record are in test_trading_records.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from trading_helpers import BTCUSDT, DAY_MS, ETHUSDT, block

from multimarkets import (
    APIError,
    Balance,
    NotFoundError,
    Order,
    OrderRef,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    Trade,
    TradingAccount,
)
from multimarkets.resources.trading import CANCEL_ORDER, GET_ORDER, PLACE_ORDER

pytestmark = pytest.mark.anyio


async def balances_of(client, account) -> dict[str, Balance]:
    return {b.currency: b for b in await client.trading.balances(account)}


# --- orders ----------------------------------------------------------------------------------------------------


async def test_market_buy_by_quantity(client, recorder, account, market):
    before = await balances_of(client, account)
    order = await client.trading.place_order(
        account, BTCUSDT, side=Side.BUY, order_type=OrderType.MARKET, quantity="0.01"
    )
    received = recorder.last(PLACE_ORDER)
    assert received.group == "tradeApi"
    assert received.body == {
        **block(account),
        "symbolId": BTCUSDT,
        "bizType": 1,
        "direction": 1,
        "num": "0.01",
        "clientOrderId": order.client_order_id,
    }
    assert re.fullmatch(r"[a-zA-Z0-9]{20}", order.client_order_id)
    assert isinstance(order, Order)
    assert (order.status, order.order_type, order.side, order.symbol_id) == (
        OrderStatus.FILLED,
        OrderType.MARKET,
        Side.BUY,
        BTCUSDT,
    )
    assert order.is_final and order.executed_num == Decimal("0.01") and order.order_id
    after = await balances_of(client, account)
    assert after["BTC"].balance == before["BTC"].balance + Decimal("0.01") - Decimal("0.00001")
    assert after["USDT"].balance == before["USDT"].balance - order.executed_amount
    (fill,) = await client.trading.trades(account, BTCUSDT)
    assert isinstance(fill, Trade)
    assert (fill.order_id, fill.execute_num, fill.commission, fill.commission_currency) == (
        order.order_id,
        Decimal("0.01"),
        Decimal("-0.00001"),
        "BTC",
    )


async def test_market_sell_by_quote_amount(client, recorder, account, market):
    await market.set_price(ETHUSDT, "2500")
    order = await client.trading.place_order(
        account, ETHUSDT, side="sell", order_type="market", quote_amount=Decimal("100")
    )
    body = recorder.last(PLACE_ORDER).body
    assert body["amount"] == "100" and "num" not in body and body["direction"] == 2
    assert order.status is OrderStatus.FILLED
    assert order.executed_num == Decimal("0.04") and order.executed_amount == Decimal("100")


async def test_limit_order_rests_then_fills_in_parts(client, recorder, account, market, inbox):
    await client.webhooks.subscribe(inbox.url)
    await market.set_price(BTCUSDT, "60000")
    order = await client.trading.place_order(
        account, BTCUSDT, side="buy", order_type="limit", quantity="0.8", price="59000.5", client_order_id="myOrder1"
    )
    body = recorder.last(PLACE_ORDER).body
    assert (body["bizType"], body["price"], body["num"], body["clientOrderId"]) == (2, "59000.5", "0.8", "myOrder1")
    assert "timeInForce" not in body
    assert (order.status, order.time_in_force, order.client_order_id) == (
        OrderStatus.SUBMITTED,
        TimeInForce.GTC,
        "myOrder1",
    )
    usdt = (await balances_of(client, account))["USDT"]
    assert usdt.locked == Decimal("47200.4")

    await market.set_price(BTCUSDT, "58000")  # crosses: one tick fills the product's liquidity (0.5 BTC)
    partial = await client.trading.get_order(account, BTCUSDT, client_order_id="myOrder1")
    assert recorder.last(GET_ORDER).body == {**block(account), "symbolId": BTCUSDT, "clientOrderId": "myOrder1"}
    assert (partial.status, partial.executed_num) == (OrderStatus.PARTIALLY_FILLED, Decimal("0.5"))

    await market.set_price(BTCUSDT, "58000")  # the next tick fills the rest
    filled = await client.trading.get_order(account, BTCUSDT, order_id=order.order_id)
    assert (filled.status, filled.executed_num) == (OrderStatus.FILLED, Decimal("0.8"))
    assert (await balances_of(client, account))["USDT"].locked == 0
    fills = await client.trading.trades(account, BTCUSDT)
    assert [(f.execute_num, f.execute_price) for f in fills] == [
        (Decimal("0.5"), Decimal("59000.5")),
        (Decimal("0.3"), Decimal("59000.5")),
    ]
    events = await inbox.wait_for(lambda e: len(e) == 2)
    first, second = events
    assert first["msgType"] == "ORDER_EXEC_REPORT" and (first["status"], second["status"]) == ("3", "2")
    assert {k: type(v) for k, v in first.items()} == {
        "msgType": str,
        "exchangeId": str,
        "tradeType": int,
        "companyId": int,
        "customerId": int,
        "customerNo": str,
        "accountName": str,
        "tradeId": str,
        "orderId": str,
        "clientOrderId": str,
        "executeNum": str,
        "executePrice": str,
        "executeTime": int,
        "symbolId": int,
        "commission": str,
        "commissionCurrency": str,
        "status": str,
        "remark": str,
    }
    assert (first["clientOrderId"], first["executeNum"], first["tradeType"]) == ("myOrder1", "0.5", 10)


async def test_ioc_keeps_what_fills_and_expires_the_rest(client, recorder, account, market, inbox):
    await client.webhooks.subscribe(inbox.url)
    await market.set_price(BTCUSDT, "60000")
    order = await client.trading.place_order(
        account, BTCUSDT, side="buy", order_type="limit", quantity="0.7", price="61000", time_in_force="IOC"
    )
    assert recorder.last(PLACE_ORDER).body["timeInForce"] == "IOC"
    assert (order.status, order.executed_num) == (OrderStatus.EXPIRED, Decimal("0.5"))
    events = await inbox.wait_for(lambda e: len(e) == 2)
    assert [e["msgType"] for e in events] == ["ORDER_EXEC_REPORT", "ORDER_EXPIRED_REPORT"]
    assert events[1]["orderId"] == order.order_id and events[1]["tradeType"] == 10


async def test_fok_fills_completely_or_not_at_all(client, account, market):
    await market.set_price(BTCUSDT, "60000")
    too_big = await client.trading.place_order(
        account, BTCUSDT, side="buy", order_type="limit", quantity="0.7", price="61000", time_in_force=TimeInForce.FOK
    )
    assert (too_big.status, too_big.executed_num) == (OrderStatus.EXPIRED, Decimal("0"))
    fits = await client.trading.place_order(
        account, BTCUSDT, side="buy", order_type="limit", quantity="0.2", price="61000", time_in_force="FOK"
    )
    assert (fits.status, fits.executed_num) == (OrderStatus.FILLED, Decimal("0.2"))


async def test_cancel_an_open_order(client, recorder, account, market, inbox):
    await client.webhooks.subscribe(inbox.url)
    await market.set_price(BTCUSDT, "60000")
    order = await client.trading.place_order(
        account, BTCUSDT, side="buy", order_type="limit", quantity="0.1", price="50000"
    )
    assert (await balances_of(client, account))["USDT"].locked == Decimal("5000")
    ref = await client.trading.cancel_order(account, BTCUSDT, order_id=order.order_id)
    assert recorder.last(CANCEL_ORDER).group == "tradeApi"
    assert recorder.last(CANCEL_ORDER).body == {**block(account), "symbolId": BTCUSDT, "orderId": order.order_id}
    assert isinstance(ref, OrderRef)
    assert (ref.order_id, ref.client_order_id, ref.exchange_id.value) == (
        order.order_id,
        order.client_order_id,
        "binance",
    )
    assert (await client.trading.get_order(account, BTCUSDT, order_id=order.order_id)).status is OrderStatus.CANCELLED
    assert (await balances_of(client, account))["USDT"].locked == 0
    (event,) = await inbox.wait_for(lambda e: len(e) == 1)
    assert event["msgType"] == "ORDER_CANCEL_REPORT" and event["orderId"] == order.order_id
    with pytest.raises(APIError) as caught:
        await client.trading.cancel_order(account, BTCUSDT, client_order_id=order.client_order_id)
    assert caught.value.code == "USCUSTOMER_API_0000004" and not caught.value.after_ambiguous


async def test_filled_order_cannot_be_cancelled(client, account):
    order = await client.trading.place_order(account, BTCUSDT, side="buy", order_type="market", quantity="0.001")
    with pytest.raises(APIError) as caught:
        await client.trading.cancel_order(account, BTCUSDT, client_order_id=order.client_order_id)
    assert caught.value.code == "USCUSTOMER_API_0000004"


async def test_order_id_wins_when_both_are_given(client, recorder, account):
    first = await client.trading.place_order(account, BTCUSDT, side="buy", order_type="market", quantity="0.001")
    second = await client.trading.place_order(account, BTCUSDT, side="buy", order_type="market", quantity="0.002")
    found = await client.trading.get_order(
        account, BTCUSDT, order_id=first.order_id, client_order_id=second.client_order_id
    )
    assert recorder.last(GET_ORDER).body["orderId"] == first.order_id
    assert found.order_id == first.order_id


async def test_unknown_order(client, account):
    with pytest.raises(NotFoundError):
        await client.trading.get_order(account, BTCUSDT, order_id="1")
    with pytest.raises(NotFoundError):
        await client.trading.cancel_order(account, BTCUSDT, client_order_id="nope")


async def test_orders_older_than_three_months_are_not_found(client, sandbox, account):
    order = await client.trading.place_order(account, BTCUSDT, side="buy", order_type="market", quantity="0.001")
    sandbox.set_clock_skew(91 * DAY_MS)  # the client corrects its clock from the answers' Date header
    with pytest.raises(NotFoundError):
        await client.trading.get_order(account, BTCUSDT, order_id=order.order_id)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"quantity": "1000"}, "insufficient balance"),
        ({"quantity": "0.00001"}, "minimum order value"),
        ({"quantity": "0.001", "client_order_id": "usedTwice"}, "used before"),
    ],
)
async def test_order_refusals(client, account, options, message):
    if options.get("client_order_id"):
        await client.trading.place_order(account, BTCUSDT, side="buy", order_type="market", **options)
    with pytest.raises(APIError, match=message) as caught:
        await client.trading.place_order(account, BTCUSDT, side="buy", order_type="market", **options)
    assert caught.value.code == "CFDWBWE000001" and caught.value.trace


async def test_product_and_account_must_exist(client, account):
    with pytest.raises(APIError) as caught:
        await client.trading.place_order(account, 12, side="buy", order_type="market", quantity="1")
    assert caught.value.code == "CFDWBWE000013"
    stranger = TradingAccount("binance", "no-such-account", account.customer_no)
    with pytest.raises(APIError) as caught:
        await client.trading.balances(stranger)
    assert caught.value.code == "GGATEWAY_CODE_101"
    wrong_group = TradingAccount("binance", "main", account.customer_no, customer_group_id=2)
    with pytest.raises(APIError) as caught:
        await client.trading.balances(wrong_group)
    assert caught.value.code == "GGATEWAY_CODE_101"


async def test_okx_answers_only_client_order_id_and_status(client, recorder, customer_no):
    await client.accounts.add(
        customer_no,
        exchange_code="okx",
        account_type="spot",
        account_name="okx-main",
        api_key="okx-api-key-000001",
        secret_key="okx-secret",
        passphrase="okx-pass",
    )
    okx = TradingAccount("okx", "okx-main", customer_no)
    order = await client.trading.place_order(
        okx, BTCUSDT, side="buy", order_type="limit", quantity="0.01", price="1000", time_in_force="IOC"
    )
    assert recorder.last(PLACE_ORDER).body["exchangeId"] == "okx"
    assert order.client_order_id == recorder.last(PLACE_ORDER).body["clientOrderId"]
    assert order.status is OrderStatus.SUBMITTED and order.order_id is None
    assert set(order.raw) == {"clientOrderId", "status"}
    stored = await client.trading.get_order(okx, BTCUSDT, client_order_id=order.client_order_id)
    assert stored.time_in_force is TimeInForce.GTC  # OKX ignores timeInForce
