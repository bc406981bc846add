"""The Data Push seen-store, over a real WebSocket on loopback to the sandbox: a store waiting on its backend
holds up the stream only, not the application's other coroutines; a store that fails ends nothing and loses
nothing (a failed claim is asked again, a failed record still delivers, a failed release still offers again)."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from push_helpers import collect, kyc, until
from redis_process import RedisProcess
from stuck_store import Stuck

from multimarkets.manager import AsyncManagerClient
from multimarkets.manager.push import DataPushEvent
from multimarkets.sandbox import Sandbox
from multimarkets.webhooks import Claim, DedupStoreError, MemoryDedupStore, RedisDedupStore

pytestmark = pytest.mark.anyio

FAST = {"reconnect_delay": 0.01}


class FailsOnce:
    """A user's store whose backend fails once for each method named in ``failing``, then answers again."""

    def __init__(self, *failing: str) -> None:
        self.inner = MemoryDedupStore()
        self.failing = set(failing)

    def _call(self, name: str, key: str) -> Any:
        if name in self.failing:
            self.failing.discard(name)
            raise DedupStoreError(f"our key-value service is down ({name})")
        return getattr(self.inner, name)(key)

    def claim(self, key: str) -> Claim:
        claim: Claim = self._call("claim", key)
        return claim

    def complete(self, key: str) -> None:
        self._call("complete", key)

    def release(self, key: str) -> None:
        self._call("release", key)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, "multimarkets.data_push")
    return caplog


def store_lines(log: pytest.LogCaptureFixture) -> list[str]:
    return [r.message for r in log.records if r.levelno == logging.ERROR and "seen-store failed" in r.message]


async def test_a_store_waiting_on_its_backend_holds_up_the_stream_but_not_the_other_coroutines(
    sandbox: Sandbox, sandboxed: AsyncManagerClient
) -> None:
    store = Stuck()
    got: list[DataPushEvent] = []
    events = sandboxed.data_push.events("g1", seen=store, **FAST)
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, events, 1, got)
        try:
            await until(lambda: sandbox.stats()["push_connections"] == 1)
            sandbox.push_event("kyc", kyc(1))
            await store.claims_started(1)
            # The application's other work on this loop: a Manager call over HTTP, answered meanwhile.
            assert await sandboxed.catalog.currencies()
            assert got == []  # the event still waits for its store
        finally:
            store.go.set()
    await events.aclose()
    assert [event.id for event in got] == ["1"]
    assert store.inner.claim(got[0].identity) is Claim.DUPLICATE


async def test_the_handler_style_also_leaves_the_loop_free_while_its_store_waits(
    sandbox: Sandbox, sandboxed: AsyncManagerClient
) -> None:
    store = Stuck()
    handled: list[DataPushEvent] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: sandboxed.data_push.run(handled.append, "g1", seen=store, **FAST))
        try:
            await until(lambda: sandbox.stats()["push_connections"] == 1)
            sandbox.push_event("kyc", kyc(1))
            await store.claims_started(1)
            assert await sandboxed.catalog.currencies()
            assert handled == []
        finally:
            store.go.set()
        await until(lambda: len(handled) == 1)
        tg.cancel_scope.cancel()
    assert [event.id for event in handled] == ["1"]


@pytest.mark.parametrize(
    ("failing", "then"),
    [("claim", "failed to claim"), ("complete", "delivered but not recorded")],
    ids=["a failed claim is asked again", "a failed record still delivers"],
)
async def test_a_failing_store_ends_nothing_and_loses_nothing(
    sandbox: Sandbox, sandboxed: AsyncManagerClient, log: pytest.LogCaptureFixture, failing: str, then: str
) -> None:
    store = FailsOnce(failing)
    got: list[DataPushEvent] = []
    events = sandboxed.data_push.events("g1", seen=store, **FAST)
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, events, 2, got)
        await until(lambda: sandbox.stats()["push_connections"] == 1)
        sandbox.push_event("kyc", kyc(1))
        sandbox.push_event("kyc", kyc(2))
    await events.aclose()
    assert [event.id for event in got] == ["1", "2"]  # each once, in order, the first held back or not recorded
    [line] = store_lines(log)
    assert then in line and got[0].identity in line and f"({failing})" in line
    # A claim never completed stands (in a shared store until it expires): a replay of it is skipped meanwhile.
    assert store.inner.claim(got[0].identity) is (Claim.IN_PROGRESS if failing == "complete" else Claim.DUPLICATE)


async def test_a_claim_failing_in_a_row_logs_how_long_the_stream_is_held_and_when_it_goes_on(
    sandbox: Sandbox, sandboxed: AsyncManagerClient, log: pytest.LogCaptureFixture
) -> None:
    class Down(MemoryDedupStore):
        down = True

        def claim(self, key: str) -> Claim:
            if self.down:
                raise DedupStoreError("our key-value service is down")
            return super().claim(key)

    store = Down()
    got: list[DataPushEvent] = []
    events = sandboxed.data_push.events("g1", seen=store, **FAST)
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, events, 1, got)
        await until(lambda: sandbox.stats()["push_connections"] == 1)
        sandbox.push_event("kyc", kyc(1))
        await until(lambda: len(store_lines(log)) >= 2)
        store.down = False
    await events.aclose()
    failed = store_lines(log)
    assert [event.id for event in got] == ["1"]
    assert "failure 1 in a row, the stream held back" in failed[0] and "failure 2 in a row" in failed[1]
    [went_on] = [r.message for r in log.records if r.levelno == logging.WARNING and "seen-store claimed" in r.message]
    assert got[0].identity in went_on and f"at attempt {len(failed) + 1}; the stream was held back" in went_on


async def test_a_failed_release_after_on_event_raised_still_offers_the_event_again(
    sandbox: Sandbox, sandboxed: AsyncManagerClient, log: pytest.LogCaptureFixture
) -> None:
    store = FailsOnce("release")
    calls: list[str] = []

    def on_event(event: DataPushEvent) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("the user's database is down too")

    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: sandboxed.data_push.run(on_event, "g1", seen=store, **FAST))
        await until(lambda: sandbox.stats()["push_connections"] == 1)
        sandbox.push_event("kyc", kyc(1))
        sandbox.push_event("kyc", kyc(2))
        await until(lambda: len(calls) == 3)
        tg.cancel_scope.cancel()
    assert calls == ["1", "1", "2"]
    [line] = store_lines(log)
    assert "could not be released" in line


async def test_an_event_whose_claim_timed_out_on_a_frozen_redis_is_delivered_once_it_runs_again(
    sandbox: Sandbox, sandboxed: AsyncManagerClient, log: pytest.LogCaptureFixture, own_redis: RedisProcess
) -> None:
    # The frozen server carries the timed-out claim out when it resumes: asking again must not skip the event
    # as claimed by someone else (it would be lost: the service takes no acknowledgement).
    store = RedisDedupStore(own_redis.url)
    got: list[DataPushEvent] = []
    events = sandboxed.data_push.events("g1", seen=store, **FAST)
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, events, 3, got)
        await until(lambda: sandbox.stats()["push_connections"] == 1)
        sandbox.push_event("kyc", kyc(1))  # its claim opens the store's connection, which the claims then use
        await until(lambda: len(got) == 1)
        own_redis.pause()
        try:
            sandbox.push_event("kyc", kyc(2))
            await until(lambda: bool(store_lines(log)))
        finally:
            own_redis.resume()
        sandbox.push_event("kyc", kyc(3))
        sandbox.push_event("kyc", kyc(4))
    await events.aclose()
    store.close()
    assert [event.id for event in got] == ["1", "2", "3"]
