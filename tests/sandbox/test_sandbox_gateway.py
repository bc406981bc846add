"""The gateway chain: headers, timestamp window, signature, bizType, envelope."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from multimarkets.sandbox import BizError, RequestContext
from multimarkets.sandbox.keys import generate_secret_key
from multimarkets.signing import RsaSha1Signer

pytestmark = pytest.mark.anyio

ADD = "customer.admin.WhiteCustomerAdminApiService.addCustomer"
PAGE = "customer.admin.WhiteCustomerAdminApiService.page"
ENVELOPE_KEYS = {"code", "ok", "fail", "msg", "msgParams", "bizCode", "tm", "trace", "data"}


def now_ms() -> int:
    return int(time.time() * 1000)


async def test_good_signature_gets_success_envelope(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.call(PAGE, {"current": "1", "size": "5"}, trace="t-abc-123")
    assert reply.status == 200
    envelope = reply.json
    assert set(envelope) == ENVELOPE_KEYS
    assert envelope["code"] == "0" and envelope["ok"] is True and envelope["fail"] is False
    assert envelope["msg"] == "Success" and envelope["msgParams"] is None and envelope["bizCode"] == ""
    assert envelope["trace"] == "t-abc-123"
    assert isinstance(envelope["tm"], int)
    assert envelope["data"] == {"current": 1, "records": [], "size": 5, "total": 0}
    assert reply.headers["x-ratelimit-limit"] == "100"
    assert reply.headers["x-ratelimit-remairing"] == "99"
    assert reply.headers["x-ratelimit-reset"] == "60"
    assert abs(parsedate_to_datetime(reply.headers["Date"]).timestamp() - time.time()) < 5


async def test_wrong_secret_key_is_00012001(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.call(PAGE, {}, signer=RsaSha1Signer(generate_secret_key()))
    assert (reply.status, reply.code) == (200, "00012001")
    assert reply.json["ok"] is False and reply.json["fail"] is True
    assert reply.data == PAGE  # "on exception, the bizType is returned"
    assert raw.sandbox.stats()["rejected_signature"] == 1


async def test_body_changed_after_signing_is_00012001(start_sandbox):
    raw = await start_sandbox()
    headers = raw.headers({"customerNo": "86000001"})
    async with raw.session.post(
        f"{raw.sandbox.base_url}/global/{PAGE}", data=b'{"customerNo":"86000002"}', headers=headers
    ) as r:
        assert (await r.json())["code"] == "00012001"


async def test_missing_signature_is_00012001(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.call(PAGE, {}, signature=None)).code == "00012001"


async def test_unknown_api_key_is_00012003_without_rate_limit_headers(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.call(PAGE, {}, apiKey="nope")
    assert reply.code == "00012003"
    assert "x-ratelimit-limit" not in reply.headers
    assert (await raw.call(PAGE, {}, apiKey=None)).code == "00012003"


async def test_company_id_must_match_the_key(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.call(PAGE, {}, companyId="999")).code == "00012003"
    assert (await raw.call(PAGE, {}, companyId=None)).code == "GGATEWAY_CODE_003"


async def test_missing_trace_is_ggateway_004_with_a_server_trace(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.call(PAGE, {}, trace=None)
    assert reply.code == "GGATEWAY_CODE_004"
    assert reply.json["trace"].startswith("t-")


async def test_version_other_than_0_0_1_is_rejected_absent_is_fine(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.call(PAGE, {}, version="9.9.9")).code == "GGATEWAY_CODE_010"
    assert (await raw.call(PAGE, {}, version=None)).code == "0"


@pytest.mark.parametrize(
    ("age_ms", "recv_window", "code"),
    [
        (0, None, "0"),
        (4_900, None, "0"),  # default recvWindow 5000
        (5_500, None, "00012002"),
        (8_000, "10000", "0"),
        (70_000, "100000", "00012002"),  # capped by recv_window_max (60000)
        (50_000, "100000", "0"),
        (-500, None, "0"),  # up to 1 s ahead of the server is fine
        (-2_000, None, "00012002"),
    ],
)
async def test_timestamp_window_follows_the_binance_rule(start_sandbox, age_ms, recv_window, code):
    raw = await start_sandbox()
    reply = await raw.call(PAGE, {}, timestamp=now_ms() - age_ms, recvWindow=recv_window)
    assert reply.code == code


async def test_missing_or_garbled_timestamp_and_recv_window(start_sandbox):
    raw = await start_sandbox()
    headers = raw.headers({})
    del headers["timestamp"]
    async with raw.session.post(f"{raw.sandbox.base_url}/global/{PAGE}", data=b"{}", headers=headers) as r:
        assert (await r.json())["code"] == "00012002"
    assert (await raw.call(PAGE, {}, recvWindow="soon")).code == "GGATEWAY_CODE_015"


async def test_recv_window_max_is_configurable(start_sandbox):
    raw = await start_sandbox(recv_window_max=10_000)
    assert (await raw.call(PAGE, {}, timestamp=now_ms() - 20_000, recvWindow="60000")).code == "00012002"


async def test_clock_skew_moves_the_window_and_the_date_header(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.admin("POST", "clock", json={"skew_ms": -3_600_000})
    assert reply.json["skew_ms"] == -3_600_000
    skewed = await raw.call(PAGE, {})
    assert skewed.code == "00012002"  # our clock is an hour ahead of the server's
    assert abs(parsedate_to_datetime(skewed.headers["Date"]).timestamp() - (time.time() - 3600)) < 5
    assert (await raw.call(PAGE, {}, timestamp=now_ms() - 3_600_000)).code == "0"
    raw.sandbox.set_clock_skew(0)
    assert (await raw.call(PAGE, {})).code == "0"


async def test_unknown_biz_type_is_ggateway_002(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.call("customer.admin.Nope.nothing", {})
    assert reply.code == "GGATEWAY_CODE_002"
    assert raw.sandbox.stats()["unknown_biz_type"] == 1


@pytest.mark.parametrize("raw_body", [b"{not json", b"[1, 2]", b'"text"'])
async def test_body_that_is_not_a_json_object_is_ggateway_015(start_sandbox, raw_body):
    raw = await start_sandbox()
    assert (await raw.call(PAGE, {}, raw_body=raw_body)).code == "GGATEWAY_CODE_015"


async def test_empty_body_is_an_empty_object(start_sandbox):
    raw = await start_sandbox()
    assert (await raw.call(PAGE, {}, raw_body=b"")).code == "0"


async def test_extra_handlers_and_crashing_handler(start_sandbox):
    async def echo(ctx: RequestContext, body: dict[str, Any]) -> Any:
        if body.get("fail"):
            raise BizError("X_CODE", "custom failure", params="a,b")
        return {"company": ctx.company_id, "trace": ctx.trace, "group": ctx.group, "body": body}

    async def crash(ctx: RequestContext, body: dict[str, Any]) -> Any:
        raise RuntimeError("bug")

    raw = await start_sandbox(handlers={"test.echo": echo, "test.crash": crash})
    ok = await raw.call("test.echo", {"x": 1}, group="tradeApi", trace="t-echo")
    assert ok.data == {"company": "1", "trace": "t-echo", "group": "tradeApi", "body": {"x": 1}}
    failed = await raw.call("test.echo", {"fail": True})
    assert (failed.code, failed.json["msg"], failed.json["msgParams"]) == ("X_CODE", "custom failure", "a,b")
    crashed = await raw.call("test.crash", {})
    assert (crashed.status, crashed.code) == (500, "G500")
    assert raw.sandbox.stats()["server_errors"] == 1


async def test_require_group(start_sandbox):
    async def trading(ctx: RequestContext, body: dict[str, Any]) -> Any:
        ctx.require_group("tradeApi")
        return True

    raw = await start_sandbox(handlers={"test.trade": trading})
    assert (await raw.call("test.trade", {})).code == "GGATEWAY_CODE_009"
    assert (await raw.call("test.trade", {}, group="other")).code == "GGATEWAY_CODE_010"
    assert (await raw.call("test.trade", {}, group="tradeApi")).data is True
