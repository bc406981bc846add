"""A Data Push stream cancelled (``task.cancel()``, as an application stops its consumer) while its seen-store
hangs on a claim, over a real WebSocket on loopback to the sandbox: the claim that the hung call makes once it
returns is given up, so that the event, sent again after a drop, is delivered by the next stream."""

from __future__ import annotations

import asyncio

import anyio
import anyio.to_thread
import pytest
from push_helpers import collect, kyc, until
from stuck_store import Stuck

from multimarkets.manager import AsyncManagerClient
from multimarkets.manager.push import DataPushEvent
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

FAST = {"reconnect_delay": 0.01}


async def test_an_event_claimed_after_its_stream_was_cancelled_is_delivered_by_the_next_stream(
    sandbox: Sandbox, sandboxed: AsyncManagerClient
) -> None:
    store = Stuck()
    got: list[DataPushEvent] = []
    events = sandboxed.data_push.events("g1", seen=store, **FAST)
    consumer = asyncio.get_running_loop().create_task(collect(events, 1, got))
    try:
        await until(lambda: sandbox.stats()["push_connections"] == 1)
        sandbox.push_event("kyc", kyc(1))
        await store.claims_started(1)
        assert sandbox.drop_push_connections() == 1  # the service sends the event again after a reconnect
        consumer.cancel()
        await asyncio.wait([consumer])
        await events.aclose()
    finally:
        store.go.set()
    assert await anyio.to_thread.run_sync(store.released.acquire, True, 10), "the claim was not given up"
    again = sandboxed.data_push.events("g1", seen=store, **FAST)
    with anyio.fail_after(10):
        await collect(again, 1, got)
    await again.aclose()
    assert [event.id for event in got] == ["1"]
