"""Edges of the streaming form: a consumer that stops after the run already failed."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import aclosing, nullcontext
from typing import Any

import anyio
import pytest
from bulk_helpers import make_rows

from multimarkets import AsyncBridgeClient

pytestmark = pytest.mark.anyio


class InputBrokeError(Exception):
    pass


class ConsumerBrokeError(Exception):
    pass


async def wait_for_the_failed_run() -> None:
    """Wait until the stream's background run task has ended (it failed)."""
    [task] = [t for t in asyncio.all_tasks() if "stream_register.<locals>.drive" in t.get_coro().__qualname__]
    await asyncio.wait([task])
    del task


@pytest.mark.parametrize("consumer_raises", [False, True])
async def test_a_consumer_stopping_after_the_run_failed_retrieves_its_error(
    client: AsyncBridgeClient, consumer_raises: bool
) -> None:
    first_seen = anyio.Event()

    async def rows() -> AsyncIterator[dict[str, Any]]:
        yield make_rows(1)[0]
        await first_seen.wait()
        raise InputBrokeError("the input broke")

    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        with pytest.raises(ConsumerBrokeError) if consumer_raises else nullcontext():
            async with aclosing(client.customers.stream_register(rows(), concurrency=2)) as results:
                async for _ in results:
                    first_seen.set()
                    await wait_for_the_failed_run()
                    if consumer_raises:
                        raise ConsumerBrokeError
                    break
        gc.collect()
    finally:
        loop.set_exception_handler(None)
    assert not [c for c in reported if "never retrieved" in str(c.get("message"))], reported
