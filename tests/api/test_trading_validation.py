"""Bad trading input raises ValidationError naming the field, and nothing reaches the service."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from multimarkets import InvalidParameterError, TradingAccount, ValidationError
from multimarkets.models.trading import DepositsRequest, TradesRequest
from multimarkets.resources.trading import PLACE_ORDER

pytestmark = pytest.mark.anyio

ACCOUNT = TradingAccount("binance", "main", "86000001")
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)

ORDERS = [
    ({"order_type": "limit", "quantity": "1"}, "price"),
    ({"order_type": "market"}, "quantity"),
    ({"order_type": "market", "quantity": "1", "quote_amount": "10"}, "quote_amount"),
    ({"order_type": "limit", "quote_amount": "10", "price": "1"}, "quantity"),
    ({"order_type": "market", "quantity": "0"}, "quantity"),
    ({"order_type": "market", "quantity": "-1"}, "quantity"),
    ({"order_type": "market", "quantity": "NaN"}, "quantity"),
    ({"order_type": "market", "quantity": "abc"}, "quantity"),
    ({"order_type": "market", "quantity": 0.1}, "quantity"),
    ({"order_type": "limit", "quantity": "1", "price": "-5"}, "price"),
    ({"order_type": "market", "quantity": "1", "price": "5"}, "price"),
    ({"order_type": "market", "quantity": "1", "time_in_force": "GTC"}, "time_in_force"),
    ({"order_type": "limit", "quantity": "1", "price": "5", "time_in_force": "GTD"}, "time_in_force"),
    ({"order_type": "stop", "quantity": "1"}, "order_type"),
    ({"order_type": "market", "quantity": "1", "side": "hold"}, "side"),
    ({"order_type": "market", "quantity": "1", "client_order_id": "has-dash"}, "client_order_id"),
    ({"order_type": "market", "quantity": "1", "client_order_id": "x" * 21}, "client_order_id"),
    ({"order_type": "market", "quantity": "1", "client_order_id": ""}, "client_order_id"),
    ({"order_type": "market", "quantity": "1", "symbol_id": 0}, "symbol_id"),
    ({"order_type": "market", "quantity": "1", "account": "main"}, "account"),
    # Text Decimal() reads but nobody typing an amount means: other digits, separators, exponents.
    ({"order_type": "market", "quantity": "\u0661"}, "quantity"),  # an Arabic-Indic 1
    ({"order_type": "limit", "quantity": "1", "price": "\u0662\u0660\u0660\u0660\u0660"}, "price"),  # 20000
    ({"order_type": "market", "quantity": "1_000"}, "quantity"),
    ({"order_type": "market", "quantity": "1e3"}, "quantity"),
    # Past the bounds: below 10**18, at most 18 decimal places.
    ({"order_type": "market", "quantity": "1e400"}, "quantity"),
    ({"order_type": "market", "quantity": Decimal("1E+400")}, "quantity"),
    ({"order_type": "market", "quantity": 10**18}, "quantity"),
    ({"order_type": "market", "quote_amount": "0.0000000000000000001"}, "quote_amount"),
    ({"order_type": "limit", "quantity": "1", "price": "1000000000000000000"}, "price"),
]


@pytest.mark.parametrize(("options", "field"), ORDERS)
async def test_place_order_validation(client, requests_sent, options, field):
    arguments = {"account": ACCOUNT, "symbol_id": 59, "side": "buy", **options}
    before = requests_sent()
    with pytest.raises(ValidationError) as caught:
        await client.trading.place_order(**arguments)
    assert caught.value.field == field
    assert requests_sent() == before


async def test_plain_decimal_text_within_the_bounds_is_sent_as_written(client, account, market):
    await market.set_price(59, "60000")
    order = await client.trading.place_order(
        account, 59, side="buy", order_type="limit", quantity=" 0.001 ", price="+59999.50"
    )
    assert (order.num, order.price) == (Decimal("0.001"), Decimal("59999.50"))


@pytest.mark.parametrize("field", ["num", "price"])
async def test_the_sandbox_answers_an_amount_past_its_bound_with_a_parameter_error(
    client, account, requests_sent, field
):
    """It crashed on 1e400 (a traceback and G500, which the SDK retried as a lost answer)."""
    body = {
        "exchangeId": "binance",
        "accountName": "main",
        "customerNo": account.customer_no,
        "customerGroupId": 1,
        "tradeType": 10,
        "symbolId": 59,
        "bizType": 1,
        "direction": 1,
        "num": "1",
        "price": "60000",
        "clientOrderId": "big1",
        field: "1" + "0" * 400,
    }
    before = requests_sent()
    with pytest.raises(InvalidParameterError, match=f"{field} must be below 10\\^18"):
        await client.call(PLACE_ORDER, body, group="tradeApi")
    assert requests_sent() == before + 1


QUERIES = [
    (lambda t: t.get_order(ACCOUNT, 59), "order_id"),
    (lambda t: t.cancel_order(ACCOUNT, 59), "order_id"),
    (lambda t: t.cancel_order(ACCOUNT, 59, client_order_id="bad id"), "client_order_id"),
    (lambda t: t.trades(ACCOUNT, 59, start_time=NOW, end_time=NOW + timedelta(hours=24, milliseconds=1)), "end_time"),
    (lambda t: t.trades(ACCOUNT, 59, start_time=NOW, end_time=NOW - timedelta(seconds=1)), "end_time"),
    (lambda t: t.trades(ACCOUNT, 59, limit=0), "limit"),
    (lambda t: t.trades(ACCOUNT, 59, limit=101), "limit"),
    (lambda t: t.trades(ACCOUNT, 59, limit="101"), "limit"),
    (lambda t: t.trades(ACCOUNT, 59, limit=True), "limit"),
    (lambda t: t.trades(ACCOUNT, 59, start_time="yesterday"), "start_time"),
    (lambda t: t.deposits(ACCOUNT, limit=500), "limit"),
    (lambda t: t.deposits(ACCOUNT, status="done"), "status"),
    (lambda t: t.deposits(ACCOUNT, start_time=NOW, end_time=NOW - timedelta(days=1)), "end_time"),
    (lambda t: t.balances(ACCOUNT, currencies=["USDT", ""]), "currencies"),
    (lambda t: t.balances(ACCOUNT, currencies=5), "currencies"),
    (lambda t: t.balances(ACCOUNT, omit_zero="yes"), "omit_zero"),
]


@pytest.mark.parametrize(("call", "field"), QUERIES)
async def test_query_validation(client, requests_sent, call, field):
    before = requests_sent()
    with pytest.raises(ValidationError) as caught:
        await call(client.trading)
    assert caught.value.field == field
    assert requests_sent() == before


async def test_a_24_hour_window_is_allowed(client, account):
    end = datetime.now(timezone.utc)
    assert await client.trading.trades(account, 59, start_time=end - timedelta(hours=24), end_time=end) == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"exchange_id": "kraken"}, "exchange_id"),
        ({"exchange_id": "cumberland"}, "exchange_id"),
        ({"account_name": " "}, "account_name"),
        ({"customer_no": None}, "customer_no"),
        ({"customer_group_id": 0}, "customer_group_id"),
        ({"customer_id": -3}, "customer_id"),
    ],
)
def test_trading_account_is_validated_when_built(options, field):
    arguments = {"exchange_id": "binance", "account_name": "main", "customer_no": "86000001", **options}
    with pytest.raises(ValidationError) as caught:
        TradingAccount(**arguments)
    assert caught.value.field == field


def test_trading_account_accepts_enum_names_and_values():
    from multimarkets import ExchangeCode, ExchangeId

    assert TradingAccount("OKX", "a", "1").exchange_id is ExchangeId.OKX
    assert TradingAccount(ExchangeCode.BINANCE, "a", "1").exchange_id is ExchangeId.BINANCE
    assert TradingAccount("binance", "a", "1", customer_group_id="2").customer_group_id == 2


def test_limit_takes_digit_strings_like_the_other_integers():
    trades = TradesRequest(account=ACCOUNT, symbol_id="59", limit="20")
    assert (trades.symbol_id, trades.limit) == (59, 20)
    assert DepositsRequest(account=ACCOUNT, limit=" 100 ").limit == "100"
