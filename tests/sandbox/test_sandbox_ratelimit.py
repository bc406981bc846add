"""The documented limits: sliding window -> 429 -> 418 with escalating bans, per API key."""

from __future__ import annotations

import pytest

from multimarkets.config import RateLimit
from multimarkets.sandbox import ApiKeyConfig
from multimarkets.sandbox.keys import generate_secret_key
from multimarkets.sandbox.ratelimit import KeyLimiter, VerdictKind
from multimarkets.signing import RsaSha1Signer

pytestmark = pytest.mark.anyio

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"


async def statuses(raw, n: int) -> list[int]:
    return [(await raw.call(PAGE, {})).status for _ in range(n)]


async def test_ten_per_two_seconds_then_429_then_escalating_418(start_sandbox, fake_clock):
    """The issue's scenario: `--rate-limit 10/2s --ban 3s`, stepped with a fake clock instead of sleeping."""
    raw = await start_sandbox(rate_limit="10/2s", ban="3s", clock=fake_clock)
    sandbox = raw.sandbox

    assert await statuses(raw, 10) == [200] * 10
    limited = await raw.call(PAGE, {})
    assert limited.status == 429
    assert limited.code == "00012005"
    assert limited.headers["Retry-After"] == "2"
    assert limited.headers["x-ratelimit-remairing"] == "0"
    banned = await raw.call(PAGE, {})
    assert banned.status == 418
    assert banned.headers["Retry-After"] == "3"
    state = sandbox.stats()["bans"][raw.credentials.api_key]
    assert state == {"banned": True, "banned_until_in_s": 3.0, "ban_count": 1, "throttled": False}

    fake_clock.advance(2.999)
    assert await statuses(raw, 3) == [418] * 3  # the window has passed, the ban has not
    fake_clock.advance(0.001)
    assert await statuses(raw, 10) == [200] * 10  # service resumes after exactly the ban

    assert await statuses(raw, 2) == [429, 418]
    state = sandbox.stats()["bans"][raw.credentials.api_key]
    assert (state["ban_count"], state["banned_until_in_s"]) == (2, 6.0)  # the second ban lasts twice as long
    fake_clock.advance(5.999)
    assert await statuses(raw, 1) == [418]
    fake_clock.advance(0.001)
    assert await statuses(raw, 1) == [200]

    stats = sandbox.stats()
    assert (stats["rate_limited"], stats["banned"], stats["bans_total"]) == (2, 6, 2)


async def test_429_state_ends_when_a_slot_frees(start_sandbox, fake_clock):
    raw = await start_sandbox(rate_limit="10/2s", ban="3s", clock=fake_clock)
    await statuses(raw, 10)
    fake_clock.advance(1.5)
    assert await statuses(raw, 1) == [429]
    fake_clock.advance(0.5)
    assert await statuses(raw, 11) == [200] * 10 + [429]  # no ban: the 429 state ended with the window


async def test_sliding_window_frees_slots_one_by_one(start_sandbox, fake_clock):
    raw = await start_sandbox(rate_limit="3/10s", clock=fake_clock)
    for _ in range(3):
        assert (await raw.call(PAGE, {})).status == 200
        fake_clock.advance(1)
    limited = await raw.call(PAGE, {})
    assert (limited.status, limited.headers["Retry-After"]) == (429, "7")
    fake_clock.advance(7)  # the first request leaves the window
    reply = await raw.call(PAGE, {})
    assert (reply.status, reply.headers["x-ratelimit-remairing"]) == (200, "0")


async def test_rejected_requests_count_against_the_limit(start_sandbox, fake_clock):
    raw = await start_sandbox(rate_limit="3/10s", clock=fake_clock)
    wrong = RsaSha1Signer(generate_secret_key())
    assert [(await raw.call(PAGE, {}, signer=wrong)).code for _ in range(3)] == ["00012001"] * 3
    assert (await raw.call(PAGE, {})).status == 429


async def test_remaining_header_counts_down(start_sandbox, fake_clock):
    raw = await start_sandbox(rate_limit="5/1m", clock=fake_clock)
    remaining = [(await raw.call(PAGE, {})).headers["x-ratelimit-remairing"] for _ in range(5)]
    assert remaining == ["4", "3", "2", "1", "0"]
    reply = await raw.call(PAGE, {})
    assert (reply.headers["x-ratelimit-limit"], reply.headers["x-ratelimit-reset"]) == ("5", "60")


async def test_each_key_has_its_own_limit_and_bans(start_sandbox, fake_clock):
    keys = [ApiKeyConfig("1"), ApiKeyConfig("1", rate_limit=RateLimit(2, 10.0), ban=1.0), ApiKeyConfig("2")]
    raw = await start_sandbox(rate_limit="3/10s", ban="5s", api_keys=keys, clock=fake_clock)
    second = raw.with_credentials(raw.sandbox.all_credentials[1])
    third = raw.with_credentials(raw.sandbox.all_credentials[2])
    assert await statuses(raw, 5) == [200, 200, 200, 429, 418]
    assert await statuses(second, 4) == [200, 200, 429, 418]
    assert await statuses(third, 3) == [200, 200, 200]
    bans = raw.sandbox.stats()["bans"]
    assert bans[raw.credentials.api_key]["banned_until_in_s"] == 5.0
    assert bans[second.credentials.api_key]["banned_until_in_s"] == 1.0
    assert bans[third.credentials.api_key]["ban_count"] == 0


async def test_admin_reset_lifts_bans(start_sandbox, fake_clock):
    raw = await start_sandbox(rate_limit="1/10s", clock=fake_clock)
    assert await statuses(raw, 3) == [200, 429, 418]
    assert (await raw.admin("POST", "reset")).json == {"ok": True}
    assert await statuses(raw, 1) == [200]
    assert raw.sandbox.stats()["bans"][raw.credentials.api_key]["ban_count"] == 0


def test_limiter_unit_escalation_three_times():
    limiter = KeyLimiter(RateLimit(1, 1.0), ban=300.0)
    now = 0.0
    for n in (1, 2, 3):
        assert limiter.admit(now).kind is VerdictKind.ALLOWED
        assert limiter.admit(now).kind is VerdictKind.LIMITED
        verdict = limiter.admit(now)
        assert verdict.kind is VerdictKind.BANNED and verdict.retry_after == 300.0 * n
        now += 300.0 * n
    assert limiter.ban_count == 3
