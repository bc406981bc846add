"""The generated sync client: every typed method once, against a sandbox running in a background thread."""

from __future__ import annotations

import inspect
from decimal import Decimal

import pytest

from multimarkets import (
    Account,
    BridgeClient,
    CustomerStatus,
    OrderStatus,
    TradingAccount,
    ValidationError,
)
from multimarkets.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox(sandbox_in_thread: Sandbox) -> Sandbox:
    return sandbox_in_thread


@pytest.fixture
def client(sandbox):
    sandbox.reset()
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as c:
        yield c


def test_walk_through_every_resource(client, sandbox, binance_spot):
    assert [d.code for d in client.catalog.dictionaries("register_source")][:2] == ["1", "2"]
    assert {c.code for c in client.catalog.currencies()} >= {"USDT", "BTC", "ETH"}
    assert [p.symbol_id for p in client.catalog.products(trade_type=10)] == [59, 60, 61]

    numbers = [
        client.customers.register(phone=f"1390000{n:04d}", password="a123456", country="CN", register_source=1)
        for n in range(3)
    ]
    page = client.customers.list(page=1, size=2)
    assert (page.total, page.has_next) == (3, True)
    walked = client.customers.iterate(size=2)
    assert inspect.isgenerator(walked) or hasattr(walked, "__next__")
    assert sorted(c.customer_no for c in walked) == sorted(numbers)
    customer_no = numbers[0]
    assert client.customers.get(customer_no).status is CustomerStatus.NORMAL

    client.accounts.add(customer_no, **binance_spot)
    (record,) = client.accounts.list(customer_no).items
    assert isinstance(record, Account)
    client.accounts.update(record.id, account_name="primary")
    assert [a.account_name for a in client.accounts.iterate(customer_no)] == ["primary"]

    account = TradingAccount("binance", "primary", customer_no)
    usdt = next(b for b in client.trading.balances(account) if b.currency == "USDT")
    assert usdt.balance > 0
    assert len(client.trading.deposits(account, limit=5)) == 5
    client.call("sandbox.MarketService.setPrice", {"symbolId": 59, "price": "60000"}, idempotent=True)
    filled = client.trading.place_order(account, 59, side="buy", order_type="market", quantity="0.01")
    assert filled.status is OrderStatus.FILLED
    resting = client.trading.place_order(account, 59, side="buy", order_type="limit", quantity="0.01", price="50000")
    assert client.trading.get_order(account, 59, order_id=resting.order_id).status is OrderStatus.SUBMITTED
    assert [t.execute_num for t in client.trading.trades(account, 59)] == [Decimal("0.01")]
    assert (
        client.trading.cancel_order(account, 59, client_order_id=resting.client_order_id).order_id == resting.order_id
    )
    assert client.webhooks.subscribe("https://example.com/hook") is True

    client.customers.cancel(numbers[1], remark="closing", auto=True)
    assert client.customers.get(numbers[1]).status is CustomerStatus.CANCELLED


def test_sync_validation_sends_nothing(client, sandbox):
    before = sandbox.stats()["requests"]
    with pytest.raises(ValidationError):
        client.trading.place_order(TradingAccount("okx", "a", "1"), 59, side="buy", order_type="limit", quantity="1")
    with pytest.raises(ValidationError):
        list(client.accounts.iterate(size=0))
    assert sandbox.stats()["requests"] == before
