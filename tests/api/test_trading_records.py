"""client.trading records: balances, deposits and the transaction record (trades) against the sandbox."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from trading_helpers import BTCUSDT, DAY_MS, ETHUSDT, block

from multimarkets import APIError, Deposit, DepositStatus, InvalidParameterError, TradingAccount, ValidationError
from multimarkets._convert import to_millis
from multimarkets.resources.trading import BALANCES, DEPOSITS, TRADES

pytestmark = pytest.mark.anyio


# --- balances and deposits -----------------------------------------------------------------------------------


async def test_balances(client, recorder, account):
    balances = await client.trading.balances(account)
    received = recorder.last(BALANCES)
    assert received.group == "tradeApi"
    assert received.body == {**block(account), "omitZeroBalances": False}
    assert type(received.body["tradeType"]) is int and type(received.body["customerGroupId"]) is int
    by_currency = {b.currency: b for b in balances}
    assert set(by_currency) == {"BNB", "BTC", "ETH", "USDT"}
    usdt = by_currency["USDT"]
    assert isinstance(usdt.balance, Decimal) and usdt.balance > 0 and usdt.locked == 0
    assert usdt.raw["balance"] == str(usdt.balance)
    assert by_currency["BNB"].balance == 0


async def test_balances_filtered(client, recorder, account):
    balances = await client.trading.balances(account, currencies=["USDT", "BTC"], omit_zero=True)
    assert recorder.last(BALANCES).body == {**block(account), "omitZeroBalances": True, "currency": "USDT,BTC"}
    assert sorted(b.currency for b in balances) == ["BTC", "USDT"]
    assert [b.currency for b in await client.trading.balances(account, omit_zero=True)] == ["BTC", "ETH", "USDT"]


async def test_customer_id_travels_as_an_integer(client, recorder, account):
    (customer,) = (await client.customers.list(account.customer_no)).items
    with_id = TradingAccount("binance", "main", account.customer_no, customer_id=customer.id)
    await client.trading.balances(with_id, currencies="USDT")
    assert recorder.last(BALANCES).body["customerId"] == customer.id


async def test_deposits(client, recorder, account):
    default = await client.trading.deposits(account)
    assert recorder.last(DEPOSITS).body == block(account)
    assert len(default) == 20  # the service's default limit
    every = await client.trading.deposits(account, limit=100)
    assert recorder.last(DEPOSITS).body == {**block(account), "limit": "100"}
    assert len(every) == 25
    assert all(isinstance(d, Deposit) for d in every)
    times = [d.create_time for d in every]
    assert times == sorted(times, reverse=True)
    first = every[0]
    assert isinstance(first.amount, Decimal) and isinstance(first.status, DepositStatus)
    assert first.raw["network"]  # a field the SDK does not model is kept


async def test_deposit_filters_are_strings_on_the_wire(client, recorder, account):
    every = await client.trading.deposits(account, limit=100)
    middle = every[12].create_time
    completed = await client.trading.deposits(
        account, currency="USDT", status=DepositStatus.COMPLETED, start_time=middle, end_time=every[0].create_time
    )
    body = recorder.last(DEPOSITS).body
    assert body["status"] == "6" and body["currency"] == "USDT"
    assert isinstance(body["startTime"], str) and isinstance(body["endTime"], str)
    assert body["startTime"] == str(to_millis(middle))
    assert completed and all(d.currency == "USDT" and d.status is DepositStatus.COMPLETED for d in completed)
    assert all(d.create_time >= middle for d in completed)
    one = await client.trading.deposits(account, tx_id=every[3].tx_id)
    assert [d.tx_id for d in one] == [every[3].tx_id]


async def test_deposit_limit_out_of_range_is_clamped_by_the_service(client, account):
    raw = await client.call(DEPOSITS, {**block(account), "limit": "500"}, group="tradeApi", idempotent=True)
    assert len(raw) == 20


# --- transaction record ----------------------------------------------------------------------------------------


async def test_trades_window_and_types(client, recorder, account):
    order = await client.trading.place_order(account, BTCUSDT, side="buy", order_type="market", quantity="0.001")
    (fill,) = await client.trading.trades(account, BTCUSDT)
    start = fill.execute_time.replace(microsecond=0)
    window = await client.trading.trades(account, BTCUSDT, start_time=start, limit=5)
    body = recorder.last(TRADES).body
    assert body == {**block(account), "symbolId": BTCUSDT, "startTime": body["startTime"], "limit": 5}
    assert type(body["startTime"]) is int and "endTime" not in body
    assert [t.order_id for t in window] == [order.order_id]
    later = await client.trading.trades(
        account, BTCUSDT, start_time=body["startTime"] + 60_000, end_time=body["startTime"] + 120_000
    )
    assert later == []


async def test_a_naive_time_is_refused_before_sending_naming_the_parameter(client, recorder, account):
    """A naive datetime could mean local time or UTC; read as UTC, a window in another zone silently moves by
    hours, so it is refused (an aware one or epoch milliseconds is what the README asks for)."""
    naive = datetime(2026, 1, 2, 3, 4, 5)
    with pytest.raises(ValidationError, match="naive") as caught:
        await client.trading.trades(account, BTCUSDT, start_time=naive)
    assert caught.value.field == "start_time"
    with pytest.raises(ValidationError, match="naive") as caught:
        await client.trading.deposits(account, start_time=naive.replace(tzinfo=timezone.utc), end_time=naive)
    assert caught.value.field == "end_time"
    assert (recorder.count(TRADES), recorder.count(DEPOSITS)) == (0, 0)
    assert await client.trading.trades(account, BTCUSDT, start_time=datetime.now(timezone.utc)) == []


async def test_trades_limit_default_and_clamp(client, account):
    for _ in range(22):
        await client.trading.place_order(account, ETHUSDT, side="buy", order_type="market", quantity="0.01")
    assert len(await client.trading.trades(account, ETHUSDT)) == 20
    assert len(await client.trading.trades(account, ETHUSDT, limit=100)) == 22
    clamped = await client.call(
        TRADES, {**block(account), "symbolId": ETHUSDT, "limit": 0}, group="tradeApi", idempotent=True
    )
    assert len(clamped) == 20


async def test_trades_windows_enforced_by_the_service(client, sandbox, account):
    now = sandbox.server_time_ms()
    body = {**block(account), "symbolId": BTCUSDT}
    with pytest.raises(InvalidParameterError, match="24 hours"):
        await client.call(TRADES, {**body, "startTime": now - 25 * 3600 * 1000, "endTime": now}, group="tradeApi")
    with pytest.raises(InvalidParameterError, match="three months"):
        await client.call(TRADES, {**body, "startTime": now - 92 * DAY_MS}, group="tradeApi")


async def test_trading_needs_the_trade_api_group(client, account):
    with pytest.raises(APIError) as caught:
        await client.call(BALANCES, block(account))
    assert caught.value.code == "GGATEWAY_CODE_009"
