"""Customer registration, list, details and cancellation."""

from __future__ import annotations

import pytest

from multimarkets.sandbox import ApiKeyConfig

pytestmark = pytest.mark.anyio

SERVICE = "customer.admin.WhiteCustomerAdminApiService"
PAGE = f"{SERVICE}.page"
DETAIL = f"{SERVICE}.detail"
DESTROY = f"{SERVICE}.destroyByCustomerNo"


async def test_registration_returns_sequential_customer_numbers(start_sandbox):
    raw = await start_sandbox()
    first = await raw.register(phone="13200000092", phoneArea="+86")
    second = await raw.register(email="someone@example.com")
    assert (first.code, first.data) == ("0", "86000001")
    assert (second.code, second.data) == ("0", "86000002")
    customers = raw.sandbox.customers()
    assert [c["customer_no"] for c in customers] == ["86000001", "86000002"]
    assert customers[0]["phone"] == "13200000092" and customers[0]["phone_area"] == "+86"
    assert customers[1]["email"] == "someone@example.com" and customers[1]["status"] == 1
    assert raw.sandbox.stats()["customers"] == 2


async def test_phone_or_email_required(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.register()).code == "USCUSTOMER_API_0000105"
    assert (await raw.register(phone="", email=None)).code == "USCUSTOMER_API_0000105"


@pytest.mark.parametrize(
    "fields",
    [
        {"pwd": "DC483E80A7A0BD9EF71D8CF973673924"},  # not lowercase
        {"pwd": "dc483e80a7a0bd9ef71d8cf97367392"},  # 31 characters
        {"pwd": "a123456"},  # plain text
        {"pwd": None},
        {"country": "CHN"},
        {"country": "C1"},
        {"country": None},
        {"registerSource": 0},
        {"registerSource": 10},
        {"registerSource": "1"},
        {"registerSource": True},
        {"customerGroupId": None},
        {"customerGroupId": 0},
        {"phone": 13200000092},
        {"phone": "phone"},
        {"email": "not-an-email", "phone": None},
        {"phoneArea": "86 "},
        {"remark": 5},
    ],
)
async def test_invalid_registration_fields_are_ggateway_015(start_sandbox, fields):
    raw = await start_sandbox()
    body = {"phone": "13200000092", **fields}
    reply = await raw.register(**body)
    assert reply.code == "GGATEWAY_CODE_015", reply.json
    assert raw.sandbox.customers() == []


async def test_duplicate_phone_is_0000106_per_area(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.register(phone="13200000092", phoneArea="+86")).code == "0"
    assert (await raw.register(phone="13200000092")).code == "USCUSTOMER_API_0000106"  # +86 is the default
    assert (await raw.register(phone="13200000092", phoneArea="+852")).code == "0"


async def test_area_code_with_or_without_plus_is_the_same_area(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.register(phone="13200000092", phoneArea="86")).code == "0"
    assert (await raw.register(phone="13200000092", phoneArea="+86")).code == "USCUSTOMER_API_0000106"
    assert (await raw.register(phone="13200000093", phoneArea="+852")).code == "0"
    assert (await raw.register(phone="13200000093", phoneArea="852")).code == "USCUSTOMER_API_0000106"
    assert [c["phone_area"] for c in raw.sandbox.customers()] == ["+86", "+852"]


async def test_duplicate_email_is_0000107_case_insensitive(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.register(email="Someone@Example.com")).code == "0"
    assert (await raw.register(email="someone@example.COM")).code == "USCUSTOMER_API_0000107"
    # phone is checked first
    assert (await raw.register(phone="13200000001", email="x@example.com")).code == "0"
    reply = await raw.register(phone="13200000001", email="x@example.com")
    assert reply.code == "USCUSTOMER_API_0000106"


async def test_uniqueness_is_per_company(start_sandbox):
    raw = await start_sandbox(api_keys=[ApiKeyConfig("220"), ApiKeyConfig("439")])
    other = raw.with_credentials(raw.sandbox.all_credentials[1])
    assert (await raw.register(email="a@example.com")).code == "0"
    assert (await other.register(email="a@example.com")).code == "0"
    assert (await other.register(email="a@example.com")).code == "USCUSTOMER_API_0000107"


async def test_page_newest_first_with_string_paging_and_company_scope(start_sandbox):
    raw = await start_sandbox(api_keys=[ApiKeyConfig("220"), ApiKeyConfig("439")])
    other = raw.with_credentials(raw.sandbox.all_credentials[1])
    for i in range(5):
        assert (await raw.register(email=f"c{i}@example.com")).code == "0"
    await other.register(email="elsewhere@example.com")

    page = (await raw.call(PAGE, {"current": "1", "size": "2"})).data
    assert (page["current"], page["size"], page["total"]) == (1, 2, 5)
    assert [r["email"] for r in page["records"]] == ["c4@example.com", "c3@example.com"]
    last = (await raw.call(PAGE, {"current": "3", "size": "2"})).data
    assert [r["email"] for r in last["records"]] == ["c0@example.com"]
    assert (await raw.call(PAGE, {"current": 9, "size": 2})).data["records"] == []

    record = page["records"][0]
    assert record["companyId"] == 220 and record["customerNo"] == "86000005" and record["status"] == 1
    assert {"agentCustomerNo", "customerGroupName", "openAccountType", "thirdUserId", "updateTime"} <= set(record)

    default = (await raw.call(PAGE, {})).data
    assert (default["current"], default["size"], default["total"]) == (1, 20, 5)
    one = (await raw.call(PAGE, {"customerNo": "86000002"})).data
    assert one["total"] == 1 and one["records"][0]["email"] == "c1@example.com"
    foreign = (await raw.call(PAGE, {"customerNo": "86000006"})).data
    assert foreign["total"] == 0


@pytest.mark.parametrize("paging", [{"current": "0"}, {"size": "abc"}, {"size": -1}, {"current": 1.5}])
async def test_page_rejects_bad_paging(start_sandbox, paging):
    raw = await start_sandbox()
    assert (await raw.call(PAGE, paging)).code == "GGATEWAY_CODE_015"


async def test_detail_and_its_alias(start_sandbox):
    raw = await start_sandbox()
    number = (await raw.register(phone="13200000092", remark="vip")).data
    for biz in (DETAIL, f"{SERVICE}.detailByCustomerNo"):
        detail = (await raw.call(biz, {"type": "baseInfo", "customerNo": number})).data
        assert detail["customerNo"] == number
        assert detail["phone"] == "13200000092" and detail["country"] == "CN" and detail["status"] == 1
        assert detail["registerSource"] == 1 and detail["customerGroupId"] == 1
        assert {"kycAuditStatus", "googleId", "withdraw", "registerTime"} <= set(detail)


async def test_detail_errors(start_sandbox):
    raw = await start_sandbox(api_keys=[ApiKeyConfig("220"), ApiKeyConfig("439")])
    other = raw.with_credentials(raw.sandbox.all_credentials[1])
    number = (await raw.register(phone="13200000092")).data
    assert (await raw.call(DETAIL, {"type": "kyc", "customerNo": number})).code == "GGATEWAY_CODE_015"
    assert (await raw.call(DETAIL, {"customerNo": number})).code == "GGATEWAY_CODE_015"
    assert (await raw.call(DETAIL, {"type": "baseInfo"})).code == "GGATEWAY_CODE_015"
    assert (await raw.call(DETAIL, {"type": "baseInfo", "customerNo": "86999999"})).code == "USCUSTOMER_API_0000003"
    assert (await other.call(DETAIL, {"type": "baseInfo", "customerNo": number})).code == "USCUSTOMER_API_0000003"


async def test_cancellation_auto_and_manual(start_sandbox):
    raw = await start_sandbox()
    auto = (await raw.register(phone="13200000001")).data
    manual = (await raw.register(phone="13200000002")).data

    reply = await raw.call(DESTROY, {"customerNo": auto, "remark": "closing", "isAuto": True})
    assert (reply.code, "data" in reply.json) == ("0", False)  # as documented: a plain success, no data
    reply = await raw.call(DESTROY, {"customerNo": manual, "remark": "closing"})
    assert (reply.code, "data" in reply.json) == ("0", False)

    statuses = {c["customer_no"]: c["status"] for c in raw.sandbox.customers()}
    assert statuses == {auto: 4, manual: 6}
    again = await raw.call(DESTROY, {"customerNo": auto, "remark": "again", "isAuto": True})
    assert again.code == "USCUSTOMER_API_0000004"
    # a cancelled customer's phone may register again; one still cancelling keeps it
    assert (await raw.register(phone="13200000001")).code == "0"
    assert (await raw.register(phone="13200000002")).code == "USCUSTOMER_API_0000106"


@pytest.mark.parametrize(
    "body",
    [
        {"customerNo": "86000001"},  # remark required
        {"remark": "x"},
        {"customerNo": "86000001", "remark": "x", "isAuto": "yes"},
    ],
)
async def test_cancellation_validation(start_sandbox, body):
    raw = await start_sandbox()
    await raw.register(phone="13200000001")
    assert (await raw.call(DESTROY, body)).code == "GGATEWAY_CODE_015"


async def test_cancelling_unknown_customer_is_0000003(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.call(DESTROY, {"customerNo": "86000042", "remark": "x"})).code == "USCUSTOMER_API_0000003"
