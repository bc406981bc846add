"""Reading Data Push messages: every documented event type (reference manager-api §6.4, its field lists copied
below) into its class with the documented JSON types, unknown types, deviations, and the event identity."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from multimarkets import ResponseFormatError
from multimarkets._convert import wire_name
from multimarkets.manager.push import (
    EVENT_TYPES,
    AccountAdjustEvent,
    CheckStatus,
    KycEvent,
    UnknownEvent,
    event_identity,
    parse_push,
)
from multimarkets.sandbox.manager.push import encode_push

# The events of a pair (insert/update, open/update) carry the same fields.
ACCOUNT = (
    "activateStatus:int companyId:int createTime:int currency:int currencyCode:str customerId:int "
    "customerNo:str digits:int id:str status:int tradeType:int type:int updateTime:int"
)
SUBJECT = "accountId:int amount:int createTime:int digits:int id:str type:int updateTime:int version:int"
SUBJECT_WATER = (
    "accountId:int accountType:int amountAfter:int amountIn:int amountOut:int bookkeepId:int "
    "businessType:int businessType1:int companyId:int createTime:int currency:int currencyCode:str "
    "customerId:int customerNo:str digits:int id:str orderId:int remark:str status:int subjectId:int "
    "subjectType:int tradeType:int updateTime:int version:int"
)
POSITION = (
    "accountId:int bizType:int closeFee:int collatrealFrozen:int companyId:int contractSize:int "
    "costPrice:int createBy:int createTime:int currency:str currencyDigits:int customerGroupId:int "
    "customerId:int customerNo:str dealId:int direction:int id:str openFee:int openMargin:int "
    "openPrice:int openVolume:num orderId:int status:int symbolDigits:int symbolId:int tradeModel:int "
    "tradeType:int interest:str openTradeAmount:str lockNum:str crossLevelNum:int "
    "currentTradeAmount:str maintenanceMargin:str marginSetType:str occupyTheMargin:str "
    "singleMargin:str takeProfit:str stopLoss:str warningMargin:str updateBy:int updateTime:int"
)
# Field names and JSON types of each event as the page's samples show them (§6.4).
CATALOGUE = {
    "register": (
        "companyId:int country:str createTime:int customerGroupId:int customerNo:str ext2:str ext4:str "
        "id:str kycAuditRemark:str kycAuditStatus:int language:str optional:int phone:str phoneArea:str "
        "email:str emailArea:str registerSource:int registerType:int status:?"
    ),
    "customer_update": (
        "birthday:str companyId:int country:str createBy:str createTime:int customerGroupId:int "
        "customerNo:str email:str emailArea:str firstOpenAccountTime:int id:str kycAuditRemark:str "
        "kycAuditStatus:int language:str loginIp:str loginTime:int optional:int phone:str phoneArea:str "
        "revision:int status:int updateBy:str updateTime:int"
    ),
    "customer_info_insert": (
        "companyId:int unitId:int country:str registerIp:str registerDevice:str utmSource:str "
        "utmMedium:str utmCampaign:str utmContent:str utmTerm:str province:str city:str address:str "
        "remark:str ext1:str ext2:str ext3:str ext4:str ext5:str createBy:str createTime:int "
        "customerInfoId:int customerNo:str id:str revision:int status:int"
    ),
    "customer_info_update": (
        "companyId:int unitId:int country:str registerIp:str registerDevice:str utmSource:str "
        "utmMedium:str utmCampaign:str utmContent:str utmTerm:str province:str city:str address:str "
        "remark:str ext1:str ext2:str ext3:str ext4:str ext5:str createBy:str createTime:int updateBy:str "
        "updateTime:int customerInfoId:int customerNo:str id:str revision:int status:int"
    ),
    "kyc": (
        "approval:str approvalTime:int businessCode:str companyId:int createTime:int customerNo:str "
        "ext1:str ext2:str id:str levelCode:str pathCode:str pno:str revision:int status:int updateBy:str "
        "updateTime:int"
    ),
    "open_account": ACCOUNT,
    "account_update": ACCOUNT,
    "subject_insert": SUBJECT,
    "subject_update": SUBJECT,
    "subject_water_insert": SUBJECT_WATER,
    "subject_water_update": SUBJECT_WATER,
    "position_insert": POSITION,
    "position_update": POSITION,
    "position_delete": (
        "id:str companyId:int accountId:int bizType:int closeFee:int collatrealFrozen:int "
        "contractSize:int costPrice:int createBy:int createTime:int currency:str currencyDigits:int "
        "customerGroupId:int customerNo:str dealId:int direction:int openFee:int openMargin:int "
        "openPrice:int openVolume:num orderId:int status:int symbolDigits:int symbolId:int tradeModel:int "
        "tradeType:int interest:str openTradeAmount:str lockNum:str crossLevelNum:int "
        "currentTradeAmount:str maintenanceMargin:str marginSetType:str occupyTheMargin:str "
        "singleMargin:str takeProfit:str stopLoss:str warningMargin:str updateBy:int updateTime:int"
    ),
    "trade_deal": (
        "accountDigits:int accountId:int bizType:int companyId:int contractSize:int "
        "convertExchangeRate:int convertFee:int convertFeeDigits:int createTime:int customerGroupId:int "
        "customerId:int customerNo:str digits:int direction:int executeMargin:int "
        "executeMarginCategoryId:int executeNum:num executePrice:int executeTime:int fee:int "
        "feeDigits:int id:str orderId:int orderStatus:int pointRatio:int positionId:int spread:int "
        "symbolId:int symbolName:str tradeType:int pnl:int source:str thirdPartyOrder:str updateTime:int"
    ),
    "deposit": (
        "accountId:int actualAmount:num blockchainName:str checkStatus:int companyId:int country:str "
        "createBy:str createTime:int customerNo:str depositCurrency:str depositFee:int depositFrom:str "
        "depositStatus:int finalAmount:num fromPaymentAmount:num id:str intendAmount:num "
        "notifyStatus:bool paymentChannelClientType:str paymentCode:str paymentCurrency:str "
        "paymentStatus:int paymentType:str proposalNo:str queryMaxCount:int revision:int "
        "toPaymentAmount:num toPaymentRate:num tradeType:int updateBy:str updateTime:int"
    ),
    "account_adjust": (
        "accountCurrency:str accountId:int amount:num businessType:int checkBy:str checkStatus:int "
        "companyId:int createBy:str createTime:int customerNo:str id:str proposalNo:str revision:int "
        "tradeType:int updateBy:str updateTime:int withdraw:bool"
    ),
    "withdraw": (
        "id:str companyId:int proposalNo:str customerNo:str accountCurrency:str withdrawCurrency:str "
        "accountId:int tradeType:int country:str amount:num rate:int withdrawFee:int finalAmount:int "
        "bankName:str bankCardNo:str bankAccountName:str checkStatus:int transferStatus:int checkBy:str "
        "remark:str withdrawType:int withdrawCoinStatus:int withdrawMethod:str blockchainName:null "
        "thirdMessage:str txid:null rawAmount:int createBy:str createTime:int revision:int updateBy:str "
        "updateTime:int withdraw:bool"
    ),
}
SAMPLE = {"int": 2, "str": "7", "num": Decimal("1.50"), "bool": True, "null": None, "?": 1}
"""A value of each documented JSON type (``2`` is a listed code of every enum; a ``str`` sample may be a number)."""


def documented(event_type: str) -> dict[str, Any]:
    pairs = (item.split(":") for item in CATALOGUE[event_type].split())
    return {name: SAMPLE[kind] for name, kind in pairs}


def test_the_catalogue_and_the_classes_name_the_same_event_types() -> None:
    assert [cls.event_type for cls in EVENT_TYPES] == list(CATALOGUE)


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda cls: cls.event_type)
def test_every_documented_field_is_read_with_its_documented_type(cls: type[Any]) -> None:
    data = documented(cls.event_type)
    event = parse_push(encode_push(cls.event_type, data), strict=True)
    assert type(event) is cls
    assert set(data) <= {wire_name(f) for f in attrs.fields(cls)}  # position_delete's sample lacks customerId
    for field in attrs.fields(cls):
        value = getattr(event, field.name)
        if field.name == "raw":
            assert value == data
        elif data.get(wire_name(field)) is not None:
            assert value is not None, field.name
        if isinstance(data.get(wire_name(field)), Decimal):
            assert value == Decimal("1.50") and isinstance(value, Decimal)
    if "createTime" in data:
        assert isinstance(event.create_time, datetime)


def test_the_docs_account_adjust_example_keeps_its_exact_amount() -> None:
    text = (
        '{"data":{"accountCurrency":"HKD","accountId":1006333,"amount":1000000.000000000,"businessType":60301,'
        '"checkBy":"admin","checkStatus":2,"companyId":401,"createBy":"admin","createTime":1670815268755,'
        '"customerNo":"86001385","id":"212","proposalNo":"A20221212686244","revision":2,"tradeType":6,'
        '"updateBy":"admin","updateTime":1670815269000,"withdraw":false},"eventType":"account_adjust"}'
    )
    event = parse_push(text, strict=True)
    assert isinstance(event, AccountAdjustEvent)
    assert str(event.amount) == "1000000.000000000"
    assert (event.check_status, event.account_id, event.withdraw) == (CheckStatus.APPROVED, 1006333, False)
    assert event.update_time == datetime.fromisoformat("2022-12-12T03:21:09+00:00")


def test_an_unknown_event_type_keeps_its_data() -> None:
    event = parse_push('{"data": {"a": [1, 2]}, "eventType": "quote_tag"}')
    assert event == UnknownEvent(event_type="quote_tag")
    assert isinstance(event, UnknownEvent) and event.raw == {"a": [1, 2]}


def test_a_field_that_does_not_fit_degrades_with_a_warning_or_raises_when_strict(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = encode_push("kyc", {"id": "9", "revision": "three", "status": 2, "customerNo": "86000001"})
    event = parse_push(text)
    assert isinstance(event, KycEvent)
    assert (event.revision, event.customer_no, event.raw["revision"]) == (None, "86000001", "three")
    assert any("KycEvent.revision" in record.getMessage() for record in caplog.records)
    with pytest.raises(ResponseFormatError, match="revision"):
        parse_push(text, strict=True)


def test_a_message_that_is_not_an_event(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    assert parse_push("pong") is None
    assert parse_push('{"data": {}}') == UnknownEvent(event_type="")
    assert parse_push('{"data": [1], "eventType": "kyc"}') == UnknownEvent(event_type="kyc")
    assert len(caplog.records) == 3
    for text in ("pong", '{"data": {}}', '{"data": [1], "eventType": "kyc"}'):
        with pytest.raises(ResponseFormatError):
            parse_push(text, strict=True)


def test_identity_tells_a_replay_from_a_later_change() -> None:
    first = parse_push(encode_push("kyc", {"id": "9", "revision": 1, "updateTime": 5, "status": 1}))
    replay = parse_push(
        json.dumps({"eventType": "kyc", "data": {"status": 1, "updateTime": 5, "revision": 1, "id": "9"}})
    )
    later = parse_push(encode_push("kyc", {"id": "9", "revision": 2, "updateTime": 6, "status": 2}))
    other_type = parse_push(encode_push("customer_update", {"id": "9", "revision": 1, "updateTime": 5}))
    assert first is not None and replay is not None and later is not None and other_type is not None
    assert first.identity == replay.identity
    assert len({first.identity, later.identity, other_type.identity}) == 3


def test_identity_without_an_id_is_a_digest_of_the_content() -> None:
    assert event_identity("x", {"a": 1, "b": [2]}) == event_identity("x", {"b": [2], "a": 1})
    assert event_identity("x", {"a": 1}) != event_identity("x", {"a": 2})
    assert event_identity("x", {"id": "1"}) != event_identity("x", {"id": 1, "revision": 0})


@pytest.mark.parametrize("amount", ["1E+999999999", "-1E+999999", "1000000000000000000"])
def test_a_pushed_amount_too_large_to_compute_with_degrades_or_raises_when_strict(amount: str) -> None:
    text = encode_push("account_adjust", {"id": "213", "customerNo": "86001385", "amount": 0}).replace(
        "0}", amount + "}"
    )
    event = parse_push(text)
    assert isinstance(event, AccountAdjustEvent) and event.amount is None and event.customer_no == "86001385"
    assert str(event.raw["amount"]) == str(json.loads(amount, parse_float=Decimal))
    with pytest.raises(ResponseFormatError, match="amount of 10"):
        parse_push(text, strict=True)
