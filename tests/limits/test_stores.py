"""The SQLite and Redis stores, opened twice on one URL as two processes would; failure behaviour; configuration."""

from __future__ import annotations

import itertools
import socket
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import anyio
import pytest

from multimarkets import AsyncBridgeClient, ConfigurationError, RateLimit
from multimarkets.limits import ENV_VAR, LimitStoreError, MemoryLimitStore, open_limit_store
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"
KEY = "key-1"
MINUTE = RateLimit(2, 60.0)


def left_of(full: float, value: float) -> bool:
    """``value`` is what remains of ``full`` seconds that began a moment ago; a loaded machine may have spent a few
    of them between the two store calls (the stores use the real clock)."""
    return full - 5 < value <= full + 1


async def test_two_openings_of_one_store_share_the_window(store_url: str) -> None:
    first, second = open_limit_store(store_url), open_limit_store(store_url)
    try:
        for slot in ("a", "b"):
            assert (await first.acquire(KEY, slot, MINUTE, lease=30)).wait == 0
        # Both in flight: whenever they are answered, the first frees a slot one window later at the earliest.
        assert (await second.acquire(KEY, "c", MINUTE, lease=30)).wait == pytest.approx(60, abs=1)
        await first.release(KEY, "a")
        assert (await second.acquire(KEY, "c", MINUTE, lease=30)).wait == pytest.approx(60, abs=1)
        assert (await second.acquire("another key", "c", MINUTE, lease=30)).wait == 0
        assert (await second.acquire(KEY, "d", None, lease=30)).wait == 0  # unlimited: never waits, still counts
        assert (await first.acquire(KEY, "e", RateLimit(3, 60.0), lease=30)).wait > 0
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_pause_or_ban_recorded_by_one_holds_the_other(store_url: str) -> None:
    first, second = open_limit_store(store_url), open_limit_store(store_url)
    try:
        await first.pause(KEY, 30)
        assert left_of(30, (await second.acquire(KEY, "a", MINUTE, lease=30)).wait)
        assert left_of(300, await first.ban(KEY, 300))
        assert left_of(300, await first.ban(KEY, 10))  # a shorter ban does not cut the longer one
        for limit in (MINUTE, None):
            assert left_of(300, (await second.acquire(KEY, "b", limit, lease=30)).banned_for)
    finally:
        await first.aclose()
        await second.aclose()


async def test_requests_of_an_earlier_run_count_in_the_shared_window(store_url: str) -> None:
    store = open_limit_store(store_url)
    try:
        # The older of the two leaves the window 10 s from now; without them no wait at all.
        await store.occupy(KEY, [50.0, 1.0])
        assert left_of(10, (await store.acquire(KEY, "a", MINUTE, lease=30)).wait)
    finally:
        await store.aclose()


def stored_slots(store_url: str) -> int:
    """How many slots the store holds, read from the SQLite file or the Redis server themselves."""
    if store_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(store_url[len("sqlite:///") :])) as db:
            (count,) = db.execute("SELECT count(*) FROM limit_slots").fetchone()
            return int(count)
    import redis

    with closing(redis.Redis.from_url(store_url)) as server:
        keys = server.keys("multimarkets:limit:*:slots")
        assert all(server.pttl(key) > 0 for key in keys), "a slot set that never expires"
        return sum(int(server.zcard(key)) for key in keys)


async def test_unlimited_callers_leave_no_old_slots_behind(store_url: str) -> None:
    # Processes that share the store only for its bans (rate_limit=None everywhere) still write a slot per
    # request: the store must forget them once no window can count them, or it grows by one row per request.
    store = open_limit_store(store_url)
    try:
        await store.occupy(KEY, [3600.0] * 50)
        for slot in ("a", "b"):
            assert (await store.acquire(KEY, slot, None, lease=30)).wait == 0
            await store.release(KEY, slot)
    finally:
        await store.aclose()
    assert stored_slots(store_url) == 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("url", ["redis://127.0.0.1:{port}/0", "sqlite:///{missing}/limits.db"])
async def test_an_unavailable_store_holds_calls_then_fails_sending_nothing(url: str, tmp_path: Path) -> None:
    url = url.format(port=free_port(), missing=tmp_path / "no such directory")
    async with (
        Sandbox() as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, limit_store=url, timeout=1.0) as client,
    ):
        with pytest.raises(LimitStoreError, match="nothing was sent"):
            await client.call(PAGE, {}, idempotent=True)
        assert sb.stats()["requests"] == 0


async def test_calls_queued_behind_an_unavailable_store_fail_after_the_timeout_too(tmp_path: Path) -> None:
    # Thirty calls of one client at once, with a store that refuses every connection: each of them was held
    # for the whole outage, so each raises once the timeout is over, not one timeout after the call before it
    # gave up (thirty timeouts for the last).
    url = f"redis://127.0.0.1:{free_port()}/0"
    async with (
        Sandbox() as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, limit_store=url, timeout=1.0) as client,
    ):
        started = time.monotonic()
        failures: list[float] = []

        async def call() -> None:
            with pytest.raises(LimitStoreError, match="nothing was sent"):
                await client.call(PAGE, {}, idempotent=True)
            failures.append(time.monotonic() - started)

        async with anyio.create_task_group() as tasks:
            for _ in range(30):
                tasks.start_soon(call)
        assert sb.stats()["requests"] == 0
    assert max(failures) < 15, failures  # far below thirty timeouts, so a loaded machine cannot fail it


async def test_the_environment_names_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{path}")
    async with Sandbox() as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=MINUTE) as client:
            for _ in range(2):
                await client.call(PAGE, {}, idempotent=True)
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("SELECT count(*) FROM limit_slots").fetchone() == (2,)
        assert path.stat().st_mode & 0o777 == 0o600
        monkeypatch.delenv(ENV_VAR)
        assert isinstance(open_limit_store(), MemoryLimitStore)
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=MINUTE) as in_process:
            await in_process.call(PAGE, {}, idempotent=True)  # this process's own window is empty


def test_an_unknown_store_is_a_configuration_error() -> None:
    for spec in ("postgres://db", "sqlite:///", "memory://"):
        with pytest.raises(ConfigurationError, match="sqlite:///PATH"):
            open_limit_store(spec)


async def test_a_slot_is_free_only_once_its_window_has_passed_to_the_microsecond(redis_url: str) -> None:
    # One request per 10 ms, asked for again and again as each slot frees: a call that is told to go (wait 0)
    # must hold a slot in the store. The Redis script once compared times rounded to 0.1 ms and, for a slot
    # that had just left the window, answered a negative wait that the client took for a go, with no slot.
    import redis

    limit = RateLimit(1, 0.01)
    store = open_limit_store(redis_url)
    server = redis.Redis.from_url(redis_url)
    try:
        goes = 0
        for n in itertools.count():
            verdict = await store.acquire(KEY, f"s{n}", limit, lease=30)
            if verdict.wait <= 0:
                assert server.zscore(f"multimarkets:limit:{KEY}:slots", f"s{n}") is not None, n
                await store.release(KEY, f"s{n}")
                goes += 1
                if goes == 300:
                    break
    finally:
        server.close()
        await store.aclose()


@pytest.mark.parametrize("spec", ["postgres://user:pw-9f3a@db/limits", "redis://:pw-9f3a@127.0.0.1:63 79/0"])
def test_a_store_url_that_cannot_be_used_is_a_configuration_error_without_its_password(spec: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_limit_store(spec)
    assert "***@" in str(caught.value) and "pw-9f3a" not in str(caught.value)


@pytest.mark.parametrize(
    "spec",
    [
        "pw-9f3a",
        "redis:/:pw-9f3a@127.0.0.1:6379/0",
        "redis://127.0.0.1:6379/0?db=x&password=pw-9f3a",
        "redis://:pw-9f3a/x@127.0.0.1:6379/0",
    ],
    ids=["a bare password", "a scheme missing a slash", "a password in the query", "a slash in the password"],
)
def test_a_store_setting_is_refused_without_a_password_in_any_place(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, spec)
    with pytest.raises(ConfigurationError) as caught:
        open_limit_store()
    message = str(caught.value)
    assert "pw-9f3a" not in message
    assert ENV_VAR in message or "not a Redis URL" in message


async def test_a_redis_url_with_its_password_in_the_query_shows_it_nowhere() -> None:
    store = open_limit_store(f"redis://127.0.0.1:{free_port()}/0?password=pw-9f3a")
    try:
        with pytest.raises(LimitStoreError) as caught:
            await store.acquire(KEY, "a", MINUTE, lease=30)
    finally:
        await store.aclose()
    assert "password=***" in repr(store) and "pw-9f3a" not in repr(store) + str(caught.value)
