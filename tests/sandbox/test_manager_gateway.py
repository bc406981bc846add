"""The Manager side's gateway over HTTP: tokens, signatures, encrypted bodies, headers and the limit."""

from __future__ import annotations

import json

import pytest
from manager_wire import ACCOUNTS, AUTH, DICTIONARIES, PAGE, REGISTER, encrypt, sign

from multimarkets.sandbox import ManagerConfig

pytestmark = pytest.mark.anyio


async def test_auth_issues_a_token_with_the_company_and_its_public_key(start_manager):
    mgr = await start_manager()
    reply = await mgr.auth()
    assert reply.status == 200 and reply.code == "0"
    data = reply.data
    credentials = mgr.sandbox.manager_credentials
    assert data["id"] == credentials.company_id == 1
    assert data["publicKey"] == credentials.public_key
    assert data["token"].endswith("admin") and len(data["token"]) > 30
    assert reply.json["trace"] == "t-auth"


async def test_wrong_secret_is_invalid_account_info(start_manager):
    mgr = await start_manager()
    reply = await mgr.auth(app_secret="0" * 32)
    assert (reply.code, reply.json["ok"], reply.data) == ("GGATEWAY_CODE_101", False, AUTH)
    assert "token" not in reply.raw.decode()


async def test_calls_need_a_token_and_it_expires(start_manager, fake_clock):
    mgr = await start_manager(manager=ManagerConfig(token_lifetime="30s"), clock=fake_clock)
    assert (await mgr.call(PAGE, {"size": 20, "current": 1})).code == "GGATEWAY_CODE_001"
    await mgr.login()
    assert (await mgr.call(PAGE, {"size": 20, "current": 1})).code == "0"
    fake_clock.advance(29.9)
    assert (await mgr.call(PAGE, {"size": 20, "current": 1})).code == "0"
    fake_clock.advance(0.1)
    expired = await mgr.call(PAGE, {"size": 20, "current": 1})
    assert expired.code == "GGATEWAY_CODE_005"
    assert expired.json["msg"] == "Login info is expired, please login again"
    await mgr.login()
    assert (await mgr.call(PAGE, {"size": 20, "current": 1})).code == "0"


async def test_a_token_never_issued_is_login_expired_too(start_manager):
    mgr = await start_manager()
    mgr.token = "608e3f81-1e10-481e-a917-6d256571e561admin"
    assert (await mgr.call(PAGE, {})).code == "GGATEWAY_CODE_017"


async def test_dictionaries_need_no_token(start_manager):
    mgr = await start_manager()
    reply = await mgr.call(DICTIONARIES, {"parentCode": "USDT"})
    assert reply.code == "0" and reply.data[0]["code"] == "Tron(TRC20)"


async def test_good_bad_and_missing_signatures(start_manager):
    mgr = await start_manager()
    await mgr.login()
    assert (await mgr.call(PAGE, {"current": 1})).code == "0"
    bad = await mgr.call(PAGE, {"current": 1}, signature="43FFFF236AC1FE30AF4ED37A1CFF7C9D")
    assert (bad.code, bad.data) == ("GGATEWAY_CODE_015", PAGE)
    assert (await mgr.call(PAGE, {"current": 1}, unsigned=True)).code == "GGATEWAY_CODE_015"


async def test_a_body_changed_after_signing_is_refused(start_manager):
    mgr = await start_manager()
    await mgr.login()
    body = {"customerNo": "86000001", "current": 1, "timestamp": 1}
    signature = sign(body)
    reply = await mgr.post(
        PAGE,
        json.dumps({**body, "current": 2, "signature": signature}).encode(),
        {"trace": "t-1", "token": mgr.token, "companyId": "1", "Content-Type": "application/json"},
    )
    assert reply.code == "GGATEWAY_CODE_015"


async def test_encrypted_and_plain_bodies_register_alike(start_manager):
    mgr = await start_manager()
    await mgr.login()
    plain = await mgr.register(phone="13200000001", phoneArea="+86")
    encrypted = await mgr.call(
        REGISTER,
        {
            "phone": "13200000002",
            "phoneArea": "+86",
            "pwd": "dc483e80a7a0bd9ef71d8cf973673924",
            "country": "CN",
            "registerSource": 1,
            "customerGroupId": 1,
            "remark": "测试 ~*%+&=",
            "tradeTypeCurrencyList": [{"allCurrency": "USDT", "tradeType": "1"}],
        },
        encrypted=True,
    )
    assert plain.code == encrypted.code == "0"
    assert encrypted.json["trace"].startswith("x-")
    listed = await mgr.call(PAGE, {"current": 1, "size": 20}, encrypted=True)
    records = {r["customerNo"]: r for r in listed.data["records"]}
    assert records[encrypted.data]["phoneArea"] == "+86"
    assert records[encrypted.data]["remark"] == "测试 ~*%+&="


async def test_an_x_trace_with_a_body_that_does_not_decrypt(start_manager):
    mgr = await start_manager()
    await mgr.login()
    headers = {"trace": "x-1", "token": mgr.token, "companyId": "1", "Content-Type": "application/json"}
    # " " decrypts to a blank body: what OpenSSL 3.2+ returns, once in a hundred, for a block under another key
    garbled = (encrypt(text, mgr.credentials.public_key) for text in ("%zz", " "))
    for body in ({"data": "not-rsa"}, {"current": 1}, *({"data": data} for data in garbled)):
        reply = await mgr.post(PAGE, json.dumps(body).encode(), headers)
        assert (reply.status, reply.code) == (200, "GGATEWAY_CODE_104")


async def test_encrypted_with_another_key_is_refused(start_manager):
    mgr = await start_manager()
    other = (await start_manager()).credentials
    await mgr.login()
    headers = {"trace": "x-1", "token": mgr.token, "companyId": "1", "Content-Type": "application/json"}
    body = {"data": encrypt('{"current":1}', other.public_key)}
    assert (await mgr.post(PAGE, json.dumps(body).encode(), headers)).code == "GGATEWAY_CODE_104"


async def test_headers_trace_company_and_version(start_manager):
    mgr = await start_manager()
    await mgr.login()
    assert (await mgr.call(PAGE, {}, trace=None)).code == "GGATEWAY_CODE_004"
    assert (await mgr.call(PAGE, {}, companyId=None)).code == "GGATEWAY_CODE_003"
    assert (await mgr.call(PAGE, {}, companyId="2")).code == "GGATEWAY_CODE_019"
    assert (await mgr.call(PAGE, {}, version="0.0.2")).code == "GGATEWAY_CODE_010"
    assert (await mgr.call(PAGE, {}, version=None)).code == "0"
    # queryAccountList does not list companyId among its headers (reference §1.4).
    assert (await mgr.call(ACCOUNTS, {"customerNo": "1", "tradeType": 1}, companyId=None)).code == (
        "USCUSTOMER_API_0000003"
    )
    assert (await mgr.call("customer.admin.Nothing.here", {})).code == "GGATEWAY_CODE_002"


async def test_per_endpoint_limit_with_429(start_manager, fake_clock):
    mgr = await start_manager(manager=ManagerConfig(rate_limit="3/10s"), clock=fake_clock)
    await mgr.login()
    replies = [await mgr.call(PAGE, {}) for _ in range(3)]
    assert [r.headers["x-ratelimit-remairing"] for r in replies] == ["2", "1", "0"]
    assert replies[0].headers["x-ratelimit-limit"] == "3"
    assert replies[0].headers["x-ratelimit-reset"] == "10"
    limited = await mgr.call(PAGE, {})
    assert (limited.status, limited.code, limited.data) == (429, "GGATEWAY_CODE_018", PAGE)
    assert limited.headers["Retry-After"] == "10"
    # another endpoint has its own budget
    assert (await mgr.call(DICTIONARIES, {"parentCode": "USDT"})).code == "0"
    fake_clock.advance(9.999)
    assert (await mgr.call(PAGE, {})).status == 429
    fake_clock.advance(0.001)
    assert (await mgr.call(PAGE, {})).code == "0"


async def test_the_documented_limit_is_300_per_minute(start_manager):
    mgr = await start_manager()
    reply = await mgr.auth()
    assert (reply.headers["x-ratelimit-limit"], reply.headers["x-ratelimit-reset"]) == ("300", "60")


async def test_the_bridge_side_still_serves(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.register(phone="13800000000", phoneArea="+86")).code == "0"
    assert raw.sandbox.base_url.endswith("/webhook")
