"""Each Manager endpoint over HTTP: state, business errors, and answers in the documented samples' shapes
(keys and JSON types of reference §5; a ``null`` in a sample accepts any type)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from manager_wire import (
    ACCOUNTS,
    BALANCE_UPDATE,
    CURRENCIES,
    DETAIL,
    DICTIONARIES,
    GROUPS,
    PAGE,
    PRODUCTS,
    ManagerRaw,
)

from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

# Verbatim from manager-api.md §5 (one element of each array).
DICTIONARY_ITEM = json.loads(
    '{"code":"Tron(TRC20)","displayName":"Tron","updateTime":1675995340948,"sort":1,"nameEn":null,"parentId":469,'
    '"revision":5,"extend":"","nameTw":null,"createBy":"admin","createTime":1673440493544,"parentCode":"USDT",'
    '"updateBy":"admin","name":"Tron","showType":null,"id":1300,"hasLeaf":0,"status":1}'
)
CURRENCY_ITEM = json.loads(
    '{"code":"CNY","displayName":null,"strId":"2","updateTime":1664158550190,"type":1,"revision":8,"fundId":266,'
    '"createBy":"allen","createTime":1616550825827,"updateBy":"admin","bizName":"ASSETS","name":"CNY","digits":2,'
    '"initState":null,"id":2,"status":1}'
)
PRODUCT_ITEM = json.loads(
    '{"symbolId":2,"pointRatio":0,"customerGroupIds":"2,3,4","dealMode":1,"baseCurrency":null,"bidSpread":"0",'
    '"labels":null,"enableShortLoan":0,"symbolGroupIds":"118","symbolCode":"USDCHF","fundId":null,"etf":false,'
    '"enableLongLoan":0,"dividend":0,"profitCurrency":null,"symbolName":"美元瑞郎","sortNum":0,"symbolDigits":null,'
    '"askSpread":"0","tradeType":3}'
)
PAGE_DATA = json.loads(
    '{"current":0,"records":[{"agentCustomerNo":"","companyId":0,"createTime":0,"customerGroupId":0,'
    '"customerGroupName":"","customerNo":"","customerType":0,"email":"","firstAccountActivateTime":0,"firstName":"",'
    '"id":0,"idCard":"","idCardType":"","lastName":"","loginTime":0,"name":"","openAccountType":0,"phone":"",'
    '"phoneArea":"","registerSource":0,"remark":"","status":0,"tgUserId":"","tgUserName":"","thirdAccountNo":"",'
    '"thirdLoginSource":"","thirdUserId":"","unitId":0,"unitName":"","updateTime":0}],"size":0,"total":0}'
)
DETAIL_DATA = json.loads(
    '{"accountList":{},"accountRemark":"","activateStatus":0,"activateTime":0,"address":"","apiCheckRule":"",'
    '"apiCheckSwitch":true,"assertPassStatus":"","associationCompanyId":0,"companyId":0,"companyKycStatus":0,'
    '"companyType":"","country":"","createTime":0,"customerAgentMark":"","customerGroupId":0,"customerNo":"",'
    '"customerType":0,"deposit":0,"earlyWarningLevel":{},"email":"","firstName":"","forceLevel":{},"googleId":0,'
    '"id":0,"idCard":"","idCardType":"","isFund":0,"kycAuditRemark":"","kycAuditStatus":0,"kycRemark":"",'
    '"kycStatus":0,"lastName":"","loginPassStatus":"","loginTime":0,"name":"","openAccountType":0,"optional":0,'
    '"payPassStatus":"","phone":"","phoneArea":"","postalCode":"","registerSource":0,"registerTime":0,'
    '"relationCustomerId":0,"source":"","status":0,"thirdIntactMsg":"","thirdLoginSource":"","thirdServerCode":"",'
    '"thirdUserId":"","type":0,"unitId":0,"unitName":"","utmSource":"","withdraw":0,"withdrawLevel":{}}'
)
ACCOUNT_ITEM = json.loads(
    '{"netAssets":"47.319290","available":"47.319290","remark":null,"type":1,"equity":"47.319290",'
    '"firstDepositTime":1646123635909,"lockMargin":"0.000000","balance":"47.319290","interest":"0.000000",'
    '"customerId":189,"liabilities":"0.000000","currency":"USDT","activateStatus":2,"withdrawAmount":"0.000000",'
    '"profit":"0","tradeType":1,"wholeWarehouseBalance":null,"freeMargin":"0","margin":"0","firstWithdrawTime":null,'
    '"activateTime":1646123635934,"frozen":"0.000000","wholeWarehouseRate":null,"accountId":1003496,'
    '"openAccountStatus":true,"companyId":1,"liabilitiesPrincipal":"0.000000","interestProportion":null,'
    '"createTime":1646123590664,"lockAmount":"0.000000","marginRadio":null,"notWithdrawAmount":"10000000.000000",'
    '"availableLoan":null,"digits":6,"customerNo":"86000188","status":2,"assetsId":1}'
)
GROUP_ITEM = {"id": 1, "name": "", "openAccountType": 1, "type": 0, "tradeType": 1, "assets": ""}  # §5.8 schema
ENVELOPE_KEYS = {"code", "msg", "bizCode", "tm", "trace", "msgParams", "data", "ok", "fail"}


def assert_shape(actual: Any, sample: Any, where: str = "data") -> None:
    if sample is None:
        return
    assert type(actual) is type(sample), f"{where}: {type(actual).__name__} where the sample has {sample!r}"
    if isinstance(sample, dict) and sample:
        assert set(actual) == set(sample), f"{where}: keys differ: {set(actual) ^ set(sample)}"
        for key, value in sample.items():
            assert_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(sample, list) and sample:
        assert actual, f"{where}: empty where the sample has items"
        for index, item in enumerate(actual):
            assert_shape(item, sample[0], f"{where}[{index}]")


@pytest.fixture
async def mgr(start_manager):
    raw = await start_manager()
    await raw.login()
    return raw


async def registered(mgr, **fields: Any) -> dict[str, Any]:
    """Register and return the customer's list record."""
    reply = await mgr.register(**fields)
    assert reply.code == "0", reply.raw
    assert isinstance(reply.data, str) and reply.data.isdigit()
    page = await mgr.call(PAGE, {"customerNo": reply.data, "size": 20, "current": 1})
    (record,) = page.data["records"]
    return record


async def test_catalogue_answers_have_the_documented_shapes(mgr):
    for biz_type, body, sample in (
        (DICTIONARIES, {"parentCode": "USDT"}, [DICTIONARY_ITEM]),
        (CURRENCIES, {"companyId": "1"}, [CURRENCY_ITEM]),
        (PRODUCTS, {"companyId": "1"}, [PRODUCT_ITEM]),
        (GROUPS, {}, [GROUP_ITEM]),
    ):
        reply = await mgr.call(biz_type, body)
        assert set(reply.json) == ENVELOPE_KEYS and reply.code == "0"
        assert_shape(reply.data, sample, biz_type)
    assert (await mgr.call(DICTIONARIES, {"parentCode": "nothing"})).data == []
    spot = (await mgr.call(PRODUCTS, {"companyId": "1", "tradeType": 5})).data
    assert spot and {p["tradeType"] for p in spot} == {5}
    assert (await mgr.call(PRODUCTS, {"companyId": "2"})).code == "GGATEWAY_CODE_019"
    assert (await mgr.call(PRODUCTS, {})).code == "GGATEWAY_CODE_015"


async def test_register_then_list_and_detail_in_the_documented_shapes(mgr):
    record = await registered(mgr, phone="13200000001", phoneArea="+86", utmSource="ads")
    assert_shape({**PAGE_DATA, "records": [record]}, PAGE_DATA)
    assert (record["phone"], record["email"], record["customerGroupName"]) == ("13200000001", "", "Default")
    detail = await mgr.call(DETAIL, {"type": "baseInfo", "id": str(record["id"]), "customerNo": record["customerNo"]})
    assert_shape(detail.data, DETAIL_DATA)
    assert (detail.data["customerNo"], detail.data["utmSource"]) == (record["customerNo"], "ads")
    wrong_id = {"type": "baseInfo", "id": "1", "customerNo": record["customerNo"]}
    assert (await mgr.call(DETAIL, wrong_id)).code == "USCUSTOMER_API_0000003"
    bad_type = {"type": "everything", "id": str(record["id"]), "customerNo": record["customerNo"]}
    assert (await mgr.call(DETAIL, bad_type)).code == "GGATEWAY_CODE_015"


async def test_registration_rules(mgr):
    await registered(mgr, phone="13200000001", email="a@example.com", thirdServerCode="ext-1")
    cases = [
        ({}, "USCUSTOMER_API_0000105"),
        ({"phone": "13200000001"}, "USCUSTOMER_API_0000106"),
        ({"email": "A@example.com"}, "USCUSTOMER_API_0000107"),
        ({"phone": "13200000009", "thirdServerCode": "ext-1"}, "USCUSTOMER_API_0000101"),
        ({"phone": "13200000009", "customerGroupId": 3}, "USCUSTOMER_API_0001024"),
        ({"phone": "13200000009", "tradeTypeCurrencyList": []}, "GGATEWAY_CODE_015"),
        (
            {"phone": "13200000009", "tradeTypeCurrencyList": [{"allCurrency": "BTC", "tradeType": "1"}]},
            "GGATEWAY_CODE_015",
        ),
        ({"phone": "13200000009", "registerSource": 10}, "GGATEWAY_CODE_015"),
    ]
    for fields, code in cases:
        assert (await mgr.register(**fields)).code == code, fields
    # the same phone in another area is another customer
    await registered(mgr, phone="13200000001", phoneArea="+852")


async def test_pages_up_to_2000(mgr):
    numbers = [(await mgr.register(email=f"c{i}@example.com")).data for i in range(5)]
    first = await mgr.call(PAGE, {"size": 2, "current": 1})
    third = await mgr.call(PAGE, {"size": 2, "current": 3})
    assert (first.data["total"], first.data["size"], first.data["current"]) == (5, 2, 1)
    assert [r["customerNo"] for r in first.data["records"]] == numbers[:2]
    assert [r["customerNo"] for r in third.data["records"]] == numbers[4:]
    assert len((await mgr.call(PAGE, {"size": 2000, "current": 1})).data["records"]) == 5
    assert (await mgr.call(PAGE, {"size": 2001, "current": 1})).code == "GGATEWAY_CODE_015"


async def test_accounts_open_at_registration_and_follow_balance_updates(mgr):
    spot_and_contract = [{"allCurrency": "USDT,BTC", "tradeType": "5"}, {"allCurrency": "USDT", "tradeType": "1"}]
    record = await registered(mgr, phone="13200000001", tradeTypeCurrencyList=spot_and_contract)
    customer_no = record["customerNo"]
    spot = await mgr.call(ACCOUNTS, {"customerNo": customer_no, "tradeType": 5})
    assert [(a["currency"], a["balance"], a["digits"]) for a in spot.data] == [
        ("USDT", "0.0000", 4),
        ("BTC", "0.00000000", 8),
    ]
    (contract,) = (await mgr.call(ACCOUNTS, {"customerNo": customer_no, "tradeType": 1})).data
    assert contract["firstDepositTime"] is None  # nullable (reference §5.9) until the first credit
    update = {
        "customerNo": customer_no,
        "accountId": contract["accountId"],
        "accountCurrency": "USDT",
        "tradeType": 1,
        "businessType": 4,
        "amount": 5,
        "withdraw": True,
        "remark": "test",
    }
    reply = await mgr.call(BALANCE_UPDATE, update)
    assert reply.code == "0" and isinstance(reply.data, str) and reply.data.startswith("A")
    bonus = await mgr.call(BALANCE_UPDATE, {**update, "amount": "2.50", "withdraw": False})
    assert bonus.code == "0" and bonus.data != reply.data
    (after,) = (await mgr.call(ACCOUNTS, {"customerNo": customer_no, "tradeType": 1})).data
    assert (after["balance"], after["withdrawAmount"], after["notWithdrawAmount"]) == (
        "7.500000",
        "5.000000",
        "2.500000",
    )
    assert_shape(after, ACCOUNT_ITEM)


async def test_balance_update_errors(mgr):
    record = await registered(mgr, phone="13200000001")
    (account,) = (await mgr.call(ACCOUNTS, {"customerNo": record["customerNo"], "tradeType": 1})).data
    update = {
        "customerNo": record["customerNo"],
        "accountCurrency": "USDT",
        "tradeType": 1,
        "businessType": 4,
        "amount": 5,
        "withdraw": True,
    }
    cases = [
        ({"amount": -6}, "FS52001"),
        ({"accountId": account["accountId"], "tradeType": 5}, "FS520010"),
        ({"accountCurrency": "BTC"}, "FS10002"),
        ({"businessType": 3}, "FS10002"),
        ({"amount": 0}, "FS10002"),
        ({"amount": "0.0000001"}, "FS10002"),
        ({"amount": None}, "FS10001"),
        ({"customerNo": "99999999"}, "USCUSTOMER_API_0000003"),
    ]
    for change, code in cases:
        assert (await mgr.call(BALANCE_UPDATE, {**update, **change})).code == code, change
    assert (await mgr.call(BALANCE_UPDATE, update)).code == "0"
    assert (await mgr.call(BALANCE_UPDATE, {**update, "amount": -5})).code == "0"
    (after,) = (await mgr.call(ACCOUNTS, {"customerNo": record["customerNo"], "tradeType": 1})).data
    assert after["balance"] == "0.000000"


async def test_state_and_credentials_survive_a_restart_with_db(tmp_path, session):
    db = tmp_path / "sandbox.db"
    async with Sandbox(db=db) as sandbox:
        first = ManagerRaw(session, sandbox.manager_base_url, sandbox.manager_credentials)
        await first.login()
        customer_no = (await first.register(phone="13200000001")).data
        credentials = sandbox.manager_credentials
    async with Sandbox(db=db) as sandbox:
        assert sandbox.manager_credentials.app_secret == credentials.app_secret
        assert sandbox.manager_credentials.public_key == credentials.public_key
        again = ManagerRaw(session, sandbox.manager_base_url, sandbox.manager_credentials)
        again.token = first.token
        assert (await again.call(PAGE, {})).code == "GGATEWAY_CODE_017"
        await again.login()
        assert (await again.register(phone="13200000001")).code == "USCUSTOMER_API_0000106"
        assert (await again.call(PAGE, {})).data["records"][0]["customerNo"] == customer_no


async def test_reset_forgets_customers_and_tokens(mgr):
    await registered(mgr, phone="13200000001")
    mgr.sandbox.reset()
    assert (await mgr.call(PAGE, {})).code == "GGATEWAY_CODE_017"
    await mgr.login()
    assert (await mgr.call(PAGE, {})).data["total"] == 0
    await registered(mgr, phone="13200000001")
