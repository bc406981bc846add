"""A Retry-After is followed only when it is a finite number of seconds, 0 or more, and only so far: a 429's pause
at most MAX_RETRY_AFTER (a call given a longer hint raises instead of waiting), a 418's ban at most
MAX_BAN_SECONDS. Anything else (an HTTP date, nan, inf, a negative number) counts as no hint."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from transport_helpers import PAGE, RawServer, answer, canned

from multimarkets import AsyncBridgeClient, Credentials, IPBannedError, RateLimit, RateLimitError
from multimarkets._ratelimit import DEFAULT_BAN_SECONDS, MAX_BAN_SECONDS
from multimarkets._retry import MAX_RETRY_AFTER
from multimarkets.limits import MemoryLimitStore
from multimarkets.sandbox import Sandbox

WINDOW = 60.0


class RecordingStore(MemoryLimitStore):
    """The in-process store, noting every pause and ban it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float] = []
        self.bans: list[float] = []

    async def pause(self, key: str, seconds: float) -> None:
        self.pauses.append(seconds)
        await super().pause(key, seconds)

    async def ban(self, key: str, seconds: float) -> float:
        self.bans.append(seconds)
        return await super().ban(key, seconds)


def limited(status: int, retry_after: str) -> bytes:
    body = json.dumps({"code": "00012005", "msg": "Request too frequent", "trace": "t-limited"}).encode()
    return answer(status, body, {"Retry-After": retry_after})


async def call_once(server: RawServer, credentials: Credentials, store: RecordingStore, max_retries: int) -> None:
    async with AsyncBridgeClient(
        credentials,
        server.base_url,
        rate_limit=RateLimit(100, WINDOW),
        limit_store=store,
        max_retries=max_retries,
        timeout=5,
    ) as client:
        # Bounded: before the cap, a hint of 100000 s made this call sleep that long.
        await asyncio.wait_for(client.call(PAGE, {}, idempotent=True), 20)


@pytest.mark.parametrize("hint", ["nan", "inf", "-inf", "-5", "Fri, 31 Dec 2099 23:59:59 GMT", "soon", ""])
def test_a_429_hint_that_is_not_a_finite_number_counts_as_none(serve, credentials: Credentials, hint: str) -> None:
    server: RawServer = serve(canned(limited(429, hint)))
    store = RecordingStore()
    with pytest.raises(RateLimitError) as caught:
        asyncio.run(call_once(server, credentials, store, max_retries=0))
    assert caught.value.retry_after is None
    assert store.pauses == [WINDOW]  # the documented fallback: one window of the client's limit


def test_a_429_hint_over_the_cap_pauses_the_key_at_most_the_cap_and_the_call_raises(
    serve, credentials: Credentials
) -> None:
    server: RawServer = serve(canned(limited(429, "100000")))
    store = RecordingStore()
    began = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        asyncio.run(call_once(server, credentials, store, max_retries=2))
    assert time.monotonic() - began < 10
    assert caught.value.retry_after == 100000.0  # what the service asked, for the caller to decide
    assert store.pauses == [MAX_RETRY_AFTER]
    assert len(server.requests) == 1  # not repeated after a pause shorter than the service asked for


@pytest.mark.parametrize(
    ("hint", "ban"), [("1e8", MAX_BAN_SECONDS), ("nan", DEFAULT_BAN_SECONDS), ("inf", DEFAULT_BAN_SECONDS)]
)
def test_a_418_ban_is_capped_and_a_bad_hint_takes_the_default(
    serve, credentials: Credentials, hint: str, ban: float
) -> None:
    server: RawServer = serve(canned(limited(418, hint)))
    store = RecordingStore()
    with pytest.raises(IPBannedError) as caught:
        asyncio.run(call_once(server, credentials, store, max_retries=2))
    assert store.bans == [ban]
    assert caught.value.banned_until is not None
    assert caught.value.banned_until - time.monotonic() <= ban


def pause_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "multimarkets" and r.levelno == logging.WARNING]


@pytest.mark.anyio
async def test_a_long_429_pause_is_logged_once_saying_how_long_and_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # One request per 5 minutes: the second call is answered 429 with a Retry-After of about 300 s, more than a
    # call waits, so it raises and the key pauses MAX_RETRY_AFTER: the user's next call would sit that long.
    async with (
        Sandbox(rate_limit="1/300s") as sandbox,
        AsyncBridgeClient(
            sandbox.credentials, sandbox.base_url, rate_limit=RateLimit(100, WINDOW), max_retries=0
        ) as client,
    ):
        credentials = sandbox.credentials
        await client.call(PAGE, {}, idempotent=True)
        with caplog.at_level(logging.WARNING, "multimarkets"), pytest.raises(RateLimitError) as caught:
            await client.call(PAGE, {}, idempotent=True)
    assert caught.value.retry_after is not None and caught.value.retry_after > MAX_RETRY_AFTER
    [warning] = pause_warnings(caplog)
    assert warning == (
        f"{PAGE} answered HTTP 429, rate limited (Retry-After: {caught.value.retry_after:g} s; trace "
        f"{caught.value.trace}): calls with this API key wait {MAX_RETRY_AFTER:.0f} s"
    )
    for secret in (credentials.api_key, credentials.secret_key):
        assert secret not in caplog.text


def test_the_429s_of_calls_in_flight_together_log_one_pause(
    serve, credentials: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    server: RawServer = serve(canned(limited(429, "100000")))

    async def four_at_once() -> list[BaseException | None]:
        async with AsyncBridgeClient(credentials, server.base_url, rate_limit=RateLimit(100, WINDOW)) as client:
            return await asyncio.gather(
                *(client.call(PAGE, {}, idempotent=True) for _ in range(4)), return_exceptions=True
            )

    with caplog.at_level(logging.WARNING, "multimarkets"):
        outcomes = asyncio.run(four_at_once())
    assert [type(outcome) for outcome in outcomes] == [RateLimitError] * 4
    [warning] = pause_warnings(caplog)
    assert warning.endswith("(Retry-After: 100000 s; trace t-limited): calls with this API key wait 120 s")


def test_a_client_without_a_limit_logs_no_pause_it_does_not_wait(
    serve, credentials: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    server: RawServer = serve(canned(limited(429, "100000")))

    async def once() -> None:
        async with AsyncBridgeClient(credentials, server.base_url, rate_limit=None) as client:
            await client.call(PAGE, {}, idempotent=True)

    with caplog.at_level(logging.WARNING, "multimarkets"), pytest.raises(RateLimitError):
        asyncio.run(once())
    assert pause_warnings(caplog) == []
