"""Parsing callback bodies into typed events (reference §7.1)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from webhook_samples import exec_report, wrap

from multimarkets import WebhookFormatError
from multimarkets._read import AMOUNT_DIGITS
from multimarkets.models.enums import MessageType, OrderStatus
from multimarkets.webhooks import (
    OrderCancelReport,
    OrderEvent,
    OrderExecReport,
    OrderExpiredReport,
    UnknownEvent,
    parse_notification,
)


def body_of(content: object, category: str = "trade") -> bytes:
    return json.dumps(wrap(content, category)).encode()  # type: ignore[arg-type]


def test_exec_report_has_every_documented_field_typed() -> None:
    event = parse_notification(body_of(exec_report()), {"trace": "t-1"})
    assert isinstance(event, OrderExecReport)
    assert event.msg_type is MessageType.ORDER_EXEC_REPORT
    assert event.status is OrderStatus.PARTIALLY_FILLED
    assert event.execute_num == Decimal("0.00100000")
    assert str(event.execute_num) == "0.00100000"
    assert event.execute_price == Decimal("65000.10")
    assert event.commission == Decimal("-0.00000100")
    assert event.execute_time == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc)
    assert event.execute_time.tzinfo is timezone.utc
    assert (event.exchange_id, event.trade_type, event.company_id, event.customer_id) == ("binance", 10, 220, 1001)
    assert (event.customer_no, event.account_name, event.symbol_id) == ("86000001", "acct-1", 7)
    assert (event.trade_id, event.order_id, event.client_order_id) == ("T1", "O1", "c1")
    assert event.commission_currency == "BTC"
    assert event.remark is None  # "" means absent
    assert event.raw == exec_report()


def test_final_filled_push_without_execution_fields() -> None:
    content = exec_report(status="2", executeNum="", executePrice=None, tradeId="")
    del content["executeTime"]
    event = parse_notification(body_of(content))
    assert isinstance(event, OrderExecReport)
    assert event.status is OrderStatus.FILLED and event.status.is_final
    assert event.execute_num is None and event.execute_price is None and event.execute_time is None
    assert event.trade_id is None


def test_numbers_sent_as_numbers_and_strings_both_work() -> None:
    content = exec_report(executeTime="1700000000123", customerId="1001", companyId="220", executeNum=0.5)
    event = parse_notification(body_of(content))
    assert isinstance(event, OrderExecReport)
    assert event.execute_time == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc)
    assert event.customer_id == 1001 and event.company_id == 220
    assert event.execute_num == Decimal("0.5")


def test_cancel_and_expired_reports() -> None:
    header = {"exchangeId": "okx", "tradeType": 10, "companyId": 220, "customerId": 1, "customerNo": "86000002"}
    cancel = parse_notification(body_of({"msgType": "ORDER_CANCEL_REPORT", "orderId": "O2", **header}))
    expired = parse_notification(
        body_of({"msgType": "ORDER_EXPIRED_REPORT", "orderId": "O3", "clientOrderId": "c3", "reason": "x", **header})
    )
    assert isinstance(cancel, OrderCancelReport) and isinstance(cancel, OrderEvent)
    assert cancel.order_id == "O2" and cancel.exchange_id == "okx" and cancel.customer_no == "86000002"
    assert isinstance(expired, OrderExpiredReport)
    assert expired.client_order_id == "c3"
    assert expired.raw["reason"] == "x"  # undocumented fields stay reachable


@pytest.mark.parametrize(
    "body",
    [
        {"msgType": "trade", "content": {"msgType": "ORDER_CANCEL_REPORT", "orderId": "O2"}},
        {"msgType": "trade", "content": json.dumps({"eventType": "ORDER_CANCEL_REPORT", "orderId": "O2"})},
        {"msgType": "ORDER_CANCEL_REPORT", "content": json.dumps({"orderId": "O2"})},
    ],
    ids=["content-object", "eventType", "type-outside"],
)
def test_tolerated_wrappings(body: dict[str, object]) -> None:
    event = parse_notification(json.dumps(body).encode())
    assert isinstance(event, OrderCancelReport)
    assert event.order_id == "O2"


def test_unknown_message_type_is_surfaced_not_raised() -> None:
    content = {"msgType": "QUOTE_TAG", "quoteId": "q1", "price": "1.5"}
    event = parse_notification(body_of(content))
    assert isinstance(event, UnknownEvent)
    assert (event.msg_type, event.category) == ("QUOTE_TAG", "trade")
    assert event.content == content
    assert event.raw == wrap(content)


def test_unknown_category_with_text_content() -> None:
    event = parse_notification(b'{"msgType":"text","content":"text"}')
    assert event == UnknownEvent(msg_type="text", category="text", content="text")


def test_trade_content_without_a_type_is_unknown() -> None:
    event = parse_notification(body_of({"orderId": "O9"}))
    assert isinstance(event, UnknownEvent) and event.msg_type == "trade"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"<html>", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"msgType":"trade"}', "no content"),
        (b'{"msgType":"trade","content":3}', "no content"),
        (b'{"msgType":"trade","content":"oops"}', "not a JSON object"),
        (body_of({"msgType": "ORDER_CANCEL_REPORT"}), "order_id"),
        (body_of(exec_report(status=None)), "status"),
    ],
)
def test_malformed_bodies_raise_a_typed_error(body: bytes, message: str) -> None:
    with pytest.raises(WebhookFormatError, match=message) as caught:
        parse_notification(body, {"Trace": "t-bad"})
    assert caught.value.trace == "t-bad"
    assert caught.value.http_status == 400


def test_an_unknown_status_and_an_unreadable_price_degrade_instead_of_failing() -> None:
    event = parse_notification(body_of(exec_report(status="9", executePrice="1,5")))
    assert isinstance(event, OrderExecReport)
    assert (event.status.name, event.status.value, event.status.is_final) == ("UNKNOWN", "9", False)
    assert event.execute_price is None and event.raw["executePrice"] == "1,5"
    assert event.execute_num == Decimal("0.00100000")


def test_identity_separates_fills_and_status_changes_only() -> None:
    first = parse_notification(body_of(exec_report()))
    again = parse_notification(body_of(exec_report(remark="redelivered")))
    second_fill = parse_notification(body_of(exec_report(tradeId="T2")))
    filled = parse_notification(body_of(exec_report(status="2")))
    cancel = parse_notification(body_of({"msgType": "ORDER_CANCEL_REPORT", "orderId": "O1", "companyId": 220}))
    assert first.identity == again.identity == '["ORDER_EXEC_REPORT","220","O1","T1","3"]'
    assert len({first.identity, second_fill.identity, filled.identity, cancel.identity}) == 4
    assert cancel.identity == '["ORDER_CANCEL_REPORT","220","O1"]'
    unknown = parse_notification(body_of({"msgType": "QUOTE_TAG", "a": 1, "b": 2}))
    reordered = parse_notification(body_of({"b": 2, "msgType": "QUOTE_TAG", "a": 1}))
    assert unknown.identity == reordered.identity


def test_identity_parts_cannot_run_into_each_other() -> None:
    one = parse_notification(body_of(exec_report(orderId="O1", tradeId="T1|2")))
    other = parse_notification(body_of(exec_report(orderId="O1|T1", tradeId="2")))
    assert one.identity != other.identity


@given(st.decimals(allow_nan=False, allow_infinity=False).filter(lambda value: value.adjusted() < AMOUNT_DIGITS))
def test_decimals_are_exact(value: Decimal) -> None:
    event = parse_notification(body_of(exec_report(executePrice=str(value), commission=str(value))))
    assert isinstance(event, OrderExecReport)
    assert event.execute_price is not None and event.commission is not None
    assert str(event.execute_price) == str(value) and str(event.commission) == str(value)


@pytest.mark.parametrize("nested", [False, True], ids=["content object", "content as JSON text"])
def test_nan_and_infinity_literals_read_as_absent_not_as_floats(nested: bool) -> None:
    # Not JSON, as in answers and Data Push messages: a number field gets no NaN to compute with, and a text
    # field no "inf" made from a float.
    content = (
        json.dumps(exec_report(executePrice="@P", tradeId="@T")).replace('"@P"', "NaN").replace('"@T"', "Infinity")
    )
    inner = json.dumps(content) if nested else content
    body = ('{"msgType":"trade","content":' + inner + "}").encode()
    event = parse_notification(body)
    assert isinstance(event, OrderExecReport)
    assert event.execute_price is None and event.trade_id is None
    assert event.execute_num == Decimal("0.00100000")  # the rest of the event is kept
