"""Answers that deviate from the docs: the field degrades with one warning by default, and raises under strict."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from multimarkets import (
    AsyncBridgeClient,
    BridgeClient,
    CustomerStatus,
    OrderStatus,
    ResponseFormatError,
    TradingAccount,
)
from multimarkets.resources.catalog import CURRENCIES
from multimarkets.resources.customers import ADD_CUSTOMER, CUSTOMER_PAGE
from multimarkets.resources.trading import GET_ORDER
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

ACCOUNT = TradingAccount("binance", "main", "86000001")
# An order with a status code we do not know, a number sent as a string and "" for a decimal.
ODD_ORDER = {"orderId": "28457301", "clientOrderId": "abc123XYZ", "status": "9", "symbolId": "59", "price": ""}
ODD_PAGE = {
    "current": 1,
    "size": 20,
    "total": 1,
    "records": [{"customerNo": "86021976", "status": 7, "unitId": "", "customerGroupId": "1", "email": "a@b.co"}],
}


def answering(answers: dict[str, Any]) -> dict[str, Any]:
    """Sandbox handlers that answer each bizType with fixed data."""

    def handler(data: Any) -> Any:
        async def answer(ctx: Any, body: Any) -> Any:
            return data

        return answer

    return {biz_type: handler(data) for biz_type, data in answers.items()}


@pytest.fixture
async def odd() -> AsyncIterator[Sandbox]:
    handlers = answering({GET_ORDER: ODD_ORDER, CUSTOMER_PAGE: ODD_PAGE, ADD_CUSTOMER: 86021976})
    async with Sandbox(handlers=handlers) as sb:
        yield sb


async def test_a_deviating_order_degrades_field_by_field_with_one_warning_each(
    odd: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="multimarkets")
    async with AsyncBridgeClient(odd.credentials, odd.base_url, rate_limit=None) as client:
        order = await client.trading.get_order(ACCOUNT, 59, order_id="28457301")
        again = await client.trading.get_order(ACCOUNT, 59, order_id="28457301")
    assert order == again
    assert (order.order_id, order.client_order_id) == ("28457301", "abc123XYZ")
    assert isinstance(order.status, OrderStatus) and (order.status.name, order.status.value) == ("UNKNOWN", "9")
    assert order.status == "9" and not order.is_final
    assert order.symbol_id == 59 and order.price is None
    assert order.raw == ODD_ORDER
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for place in ("Order.status", "Order.symbol_id", "Order.price"):
        assert sum(place in message for message in warnings) == 1, (place, warnings)
    assert all(GET_ORDER in message for message in warnings)


async def test_a_deviating_customer_row_degrades_and_keeps_the_rest(odd: Sandbox) -> None:
    async with AsyncBridgeClient(odd.credentials, odd.base_url, rate_limit=None) as client:
        [customer] = (await client.customers.list()).items
    assert customer.customer_no == "86021976" and customer.email == "a@b.co"
    assert isinstance(customer.status, CustomerStatus) and (customer.status.name, customer.status.value) == (
        "UNKNOWN",
        7,
    )
    assert customer.unit_id is None and customer.customer_group_id == 1
    assert customer.raw["unitId"] == ""


async def test_a_customer_number_sent_as_a_number_is_read(odd: Sandbox) -> None:
    async with AsyncBridgeClient(odd.credentials, odd.base_url, rate_limit=None) as client:
        assert await client.customers.register(phone="13200000092", password="x", country="CN", register_source=1) == (
            "86021976"
        )


@pytest.mark.parametrize(
    ("call", "place"),
    [
        (lambda c: c.trading.get_order(ACCOUNT, 59, order_id="28457301"), "$.status: Order.status: code '9'"),
        (lambda c: c.customers.list(), "$.records[0].status: Customer.status: code 7"),
        (
            lambda c: c.customers.register(phone="13200000092", password="x", country="CN", register_source=1),
            "$: a number where the docs send a string",
        ),
    ],
)
async def test_strict_raises_on_every_deviation(odd: Sandbox, call: Any, place: str) -> None:
    async with AsyncBridgeClient(odd.credentials, odd.base_url, rate_limit=None, strict=True) as client:
        with pytest.raises(ResponseFormatError) as caught:
            await call(client)
    assert place in str(caught.value) and caught.value.code == "BAD_DATA" and caught.value.trace


def test_the_sync_client_reads_the_same_way() -> None:
    with (
        Sandbox.in_thread(handlers=answering({GET_ORDER: ODD_ORDER})) as sb,
        BridgeClient(sb.credentials, sb.base_url, rate_limit=None) as tolerant,
        BridgeClient(sb.credentials, sb.base_url, rate_limit=None, strict=True) as strict,
    ):
        assert tolerant.trading.get_order(ACCOUNT, 59, order_id="28457301").status.value == "9"
        with pytest.raises(ResponseFormatError, match=r"Order\.status"):
            strict.trading.get_order(ACCOUNT, 59, order_id="28457301")


@pytest.mark.parametrize(
    ("biz_type", "data", "call", "message"),
    [
        (CUSTOMER_PAGE, {"current": 1, "size": 20, "total": 0}, lambda c: c.customers.list(), "records"),
        (
            CUSTOMER_PAGE,
            {"current": 1, "size": 20, "total": 1, "records": [{}]},
            lambda c: c.customers.list(),
            "customer_no",
        ),
        (
            ADD_CUSTOMER,
            "",
            lambda c: c.customers.register(phone="13200000092", password="x", country="CN", register_source=1),
            "no customer number",
        ),
        (GET_ORDER, {"status": "1"}, lambda c: c.trading.get_order(ACCOUNT, 59, order_id="1"), "orderId"),
    ],
)
async def test_what_a_call_cannot_work_without_still_raises(biz_type: str, data: Any, call: Any, message: str) -> None:
    async with (
        Sandbox(handlers=answering({biz_type: data})) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client,
    ):
        with pytest.raises(ResponseFormatError, match=message):
            await call(client)


# More digits than int() accepts (Python's default limit is 4,300): a hostile or broken answer, not a number.
ENDLESS_DIGITS = "9" * 5000


async def test_a_number_too_long_to_read_degrades_and_raises_under_strict() -> None:
    row = {"id": 1, "code": "BTC", "digits": ENDLESS_DIGITS, "status": ENDLESS_DIGITS, "createTime": ENDLESS_DIGITS}
    async with (
        Sandbox(handlers=answering({CURRENCIES: [row]})) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as tolerant,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, strict=True) as strict,
    ):
        [currency] = await tolerant.catalog.currencies()
        assert (currency.code, currency.digits, currency.status, currency.create_time) == ("BTC", None, None, None)
        assert currency.raw["digits"] == ENDLESS_DIGITS
        with pytest.raises(ResponseFormatError, match=r"Currency\.digits"):
            await strict.catalog.currencies()


def test_a_required_number_too_long_to_read_raises_a_response_format_error() -> None:
    with (
        Sandbox.in_thread(handlers=answering({CURRENCIES: [{"id": ENDLESS_DIGITS, "code": "BTC"}]})) as sb,
        BridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client,
        pytest.raises(ResponseFormatError, match=r"Currency\.id"),
    ):
        client.catalog.currencies()
