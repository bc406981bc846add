"""Helpers of the Data Push tests: wait for the sandbox, make a KYC event, take events from a stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio

from multimarkets.manager.push import DataPushEvent


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (the sandbox answers in its own tasks); fails after 10 s."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - the sandbox's counters come with no event to await
            await anyio.sleep(0.005)


def kyc(n: int) -> dict[str, Any]:
    return {"id": str(n), "customerNo": f"8600{n:04d}", "status": 2, "revision": 1, "updateTime": 1670815269000 + n}


async def collect(events: AsyncIterator[DataPushEvent], count: int, into: list[DataPushEvent]) -> None:
    async for event in events:
        into.append(event)
        if len(into) == count:
            return
