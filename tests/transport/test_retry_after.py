"""A Retry-After is followed only when it is a finite number of seconds, 0 or more, and only so far: a 429's pause
at most MAX_RETRY_AFTER (a call given a longer hint raises instead of waiting), a 418's ban at most
MAX_BAN_SECONDS. Anything else (an HTTP date, nan, inf, a negative number) counts as no hint."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from transport_helpers import PAGE, RawServer, answer, canned

from multimarkets import AsyncBridgeClient, Credentials, IPBannedError, RateLimit, RateLimitError
from multimarkets._ratelimit import DEFAULT_BAN_SECONDS, MAX_BAN_SECONDS
from multimarkets._retry import MAX_RETRY_AFTER
from multimarkets.limits import MemoryLimitStore

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
