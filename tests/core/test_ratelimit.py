"""The shared window: its arithmetic on a clock the test controls, and clients of one key against the sandbox."""

from __future__ import annotations

import pytest

from multimarkets import AsyncBridgeClient, ConfigurationError, RateLimit, RateLimitError
from multimarkets.limits import MemoryLimitStore
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"
KEY = "k"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryLimitStore:
    return MemoryLimitStore(clock)


async def wait(store: MemoryLimitStore, slot: str, limit: RateLimit | None, lease: float = 30) -> float:
    """How long the store makes ``slot`` of :data:`KEY` wait."""
    return (await store.acquire(KEY, slot, limit, lease=lease)).wait


async def test_window_is_counted_from_each_answer(store: MemoryLimitStore, clock: FakeClock) -> None:
    limit = RateLimit(3, 10.0)
    for slot in "abc":
        assert await wait(store, slot, limit) == 0
    assert await wait(store, "d", limit) == 10.0  # in flight: free a window after answers
    clock.now += 2
    await store.release(KEY, "a")
    assert await wait(store, "d", limit) == pytest.approx(10.0)  # a frees at t+12
    clock.now += 10
    assert await wait(store, "d", limit) == 0


async def test_a_request_that_never_reports_back_frees_its_slot_after_its_lease(
    store: MemoryLimitStore, clock: FakeClock
) -> None:
    limit = RateLimit(1, 10.0)
    assert await wait(store, "lost", limit, lease=5) == 0
    clock.now += 14.5  # lease 5 s + window 10 s
    assert await wait(store, "next", limit, lease=5) > 0
    clock.now += 0.5
    assert await wait(store, "next", limit, lease=5) == 0


async def test_an_answer_does_not_end_the_lease_of_another_request(store: MemoryLimitStore, clock: FakeClock) -> None:
    limit = RateLimit(1, 60.0)
    # Unlimited callers never wait, but their requests count for the limited one.
    assert await wait(store, "answered", None, lease=30) == 0  # lease until 1030
    clock.now = 1005
    assert await wait(store, "lost", None, lease=30) == 0  # lease until 1035
    clock.now = 1006
    await store.release(KEY, "answered")
    clock.now = 1031  # the first lease would have ended; "lost" is still in flight: answered now at the earliest
    assert await wait(store, "next", limit) == pytest.approx(60)
    clock.now = 1036  # now it counts as answered when its lease ended, at 1035
    assert await wait(store, "next", limit) == pytest.approx(1095 - 1036)


async def test_requests_of_another_process_count_from_when_they_were_answered(
    store: MemoryLimitStore, clock: FakeClock
) -> None:
    limit = RateLimit(3, 10.0)
    await store.occupy(KEY, [9.0, 1.0])  # a killed run's answers, 9 s and 1 s ago
    assert await wait(store, "a", limit) == 0
    assert await wait(store, "b", limit) == pytest.approx(1.0)  # 9 s old leaves in 1 s
    clock.now += 1.0
    assert await wait(store, "b", limit) == 0


async def test_unlimited_requests_count_for_limited_ones_and_skip_the_pause(
    store: MemoryLimitStore, clock: FakeClock
) -> None:
    limit = RateLimit(2, 10.0)
    for slot in "ab":
        assert await wait(store, slot, None) == 0
        await store.release(KEY, slot)
    assert await wait(store, "c", limit) == pytest.approx(10.0)
    await store.pause(KEY, 4.0)
    assert await wait(store, "d", None) == 0
    clock.now += 10
    assert await wait(store, "c", limit) == 0


async def test_answers_older_than_every_window_are_forgotten(store: MemoryLimitStore, clock: FakeClock) -> None:
    # A long-running service whose clients all run with rate_limit=None must not grow without bound.
    for n in range(5000):
        await store.acquire(KEY, str(n), None, lease=30)
        await store.release(KEY, str(n))
        clock.now += 0.1
    state = store._keys[KEY]
    assert len(state.answered) - state.head <= 601  # the service's 60 s window, at 10 answers a second
    assert len(state.answered) <= 2 * 601


async def test_ban_refuses_everyone_until_it_ends(store: MemoryLimitStore, clock: FakeClock) -> None:
    assert await store.ban(KEY, 300) == 300
    for limit in (RateLimit(), None):
        assert (await store.acquire(KEY, "a", limit, lease=30)).banned_for == pytest.approx(300)
    clock.now += 300
    assert await wait(store, "a", RateLimit()) == 0


async def test_an_unlimited_client_does_not_lift_another_clients_limit() -> None:
    limit = RateLimit(4, 1.0)
    async with (
        Sandbox(rate_limit=limit, ban="60s") as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=limit, max_retries=0) as limited,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, max_retries=0) as unlimited,
    ):
        for _ in range(3):
            await unlimited.call(PAGE, {}, idempotent=True)
        for _ in range(4):  # only one fits next to the unlimited client's three: the rest wait their turn
            await limited.call(PAGE, {}, idempotent=True)
        stats = sb.stats()
        assert (stats["rate_limited"], stats["banned"]) == (0, 0)


async def test_an_unlimited_client_does_not_wait() -> None:
    limit = RateLimit(3, 10.0)
    async with Sandbox(rate_limit=limit, ban="60s") as sb:
        async with (
            AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=limit) as limited,
            AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, max_retries=0) as unlimited,
        ):
            for _ in range(3):
                await limited.call(PAGE, {}, idempotent=True)
            with pytest.raises(RateLimitError):  # sent into the full window instead of waiting for it
                await unlimited.call(PAGE, {}, idempotent=True)
        assert sb.stats()["rate_limited"] == 1


async def test_two_explicit_limits_for_one_key_are_refused_naming_both() -> None:
    async with Sandbox() as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=RateLimit(50, 60.0)):
            with pytest.raises(ConfigurationError, match=r"50/60s.*200/60s"):
                AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=RateLimit(200, 60.0))
            async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=RateLimit(50, 60.0)):
                pass  # the same limit again is fine, and so is the default or none
            async with (
                AsyncBridgeClient(sb.credentials, sb.base_url),
                AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None),
            ):
                pass
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=RateLimit(200, 60.0)):
            pass  # the first client is closed: its limit no longer binds anyone
