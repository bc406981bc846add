"""The in-process store's leases: a request that never reports back counts as answered when its lease ends."""

from __future__ import annotations

import pytest

from multimarkets import RateLimit
from multimarkets.limits import MemoryLimitStore

pytestmark = pytest.mark.anyio

KEY = "key-1"
ONE_A_MINUTE = RateLimit(1, 60.0)


class Clock:
    """The store's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_lost_request_counts_as_answered_when_its_lease_ends() -> None:
    clock = Clock()
    store = MemoryLimitStore(clock)
    assert (await store.acquire(KEY, "lost", ONE_A_MINUTE, lease=30)).wait == 0
    clock.now = 1010
    # Still in flight: it is answered now at the earliest, so the slot frees a whole window from now.
    assert (await store.acquire(KEY, "next", ONE_A_MINUTE, lease=30)).wait == pytest.approx(60)
    clock.now = 1031  # its lease ended at 1030: it counts as answered then
    assert (await store.acquire(KEY, "next", ONE_A_MINUTE, lease=30)).wait == pytest.approx(1090 - 1031)
    clock.now = 1091
    assert (await store.acquire(KEY, "next", ONE_A_MINUTE, lease=30)).wait == 0


async def test_an_answer_does_not_end_the_lease_of_another_request() -> None:
    clock = Clock()
    store = MemoryLimitStore(clock)
    # Unlimited callers never wait, but their requests count for the limited one.
    assert (await store.acquire(KEY, "answered", None, lease=30)).wait == 0  # lease until 1030
    clock.now = 1005
    assert (await store.acquire(KEY, "lost", None, lease=30)).wait == 0  # lease until 1035
    clock.now = 1006
    await store.release(KEY, "answered")
    clock.now = 1031  # the first lease would have ended; "lost" is still in flight
    assert (await store.acquire(KEY, "next", ONE_A_MINUTE, lease=30)).wait == pytest.approx(60)
    clock.now = 1036  # now it counts as answered at 1035
    assert (await store.acquire(KEY, "next", ONE_A_MINUTE, lease=30)).wait == pytest.approx(1095 - 1036)
