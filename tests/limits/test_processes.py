"""Four worker processes sharing one API key through each shared store, against the sandbox at a scaled limit."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from multimarkets import RateLimit
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

WORKER = Path(__file__).with_name("worker.py")
LIMIT = RateLimit(20, 2.0)


async def run_workers(
    sb: Sandbox, store_url: str, count: int, *options: str, first: Callable[[], Awaitable[None]] | None = None
) -> list[dict[str, int]]:
    """Start ``count`` worker processes; their tallies. Each makes its first call, then waits: the others come
    only once all of them are ready (Python started, the SDK imported, the store open) and ``first()``, if given,
    has run, so how long a busy machine takes to start a process is no part of the test."""
    credentials = {
        "api_key": sb.credentials.api_key,
        "secret_key": sb.credentials.secret_key,
        "company_id": sb.credentials.company_id,
    }
    env = {**os.environ, "MM_CREDENTIALS": json.dumps(credentials)}
    command = [sys.executable, str(WORKER), sb.base_url, store_url, *options, "--wait-for-go"]
    async with contextlib.AsyncExitStack() as stack:
        processes = [await stack.enter_async_context(await anyio.open_process(command, env=env)) for _ in range(count)]
        outputs = [BufferedByteReceiveStream(process.stdout) for process in processes if process.stdout]
        for output in outputs:
            assert await output.receive_until(b"\n", 100) == b"ready"
        if first is not None:
            await first()
        for process in processes:
            assert process.stdin is not None
            await process.stdin.send(b"go\n")
        results: list[Any] = []
        for process, output in zip(processes, outputs, strict=True):
            line = await output.receive_until(b"\n", 4096)
            assert await process.wait() == 0
            results.append(json.loads(line))
    return results


async def test_four_processes_keep_to_one_limit_without_a_429(store_url: str) -> None:
    async with Sandbox(rate_limit=LIMIT, ban="60s") as sb:
        tallies = await run_workers(sb, store_url, 4, f"{LIMIT.requests}/{LIMIT.window:g}s", "--calls", "8")
        stats = sb.stats()
    assert tallies == [{"ok": 8, "429": 0, "418": 0}] * 4
    assert (stats["rate_limited"], stats["banned"]) == (0, 0)


async def test_a_ban_met_by_one_process_stops_the_others_until_it_ends(store_url: str) -> None:
    # The ban outlasts the careless process's exit and the others' next call (they are started before it, with
    # their store open: about 0.2 s on a loaded machine).
    async with Sandbox(rate_limit="5/1s", ban="3s") as sb:

        async def careless() -> None:
            # One careless process, with no limit of its own, runs into a 429 and then the ban.
            (tally,) = await run_workers(sb, store_url, 1, "none", "--until-banned", "--concurrency", "1")
            assert tally["418"] == 1 and tally["429"] >= 1

        # The others, started before it, learn of the ban from the store: they send nothing until it ends, then
        # carry on.
        options = ("5/1s", "--calls", "3", "--wait-out-ban", "--concurrency", "1")  # the first before "ready"
        others = await run_workers(sb, store_url, 3, *options, first=careless)
        stats = sb.stats()
    assert all(t["ok"] == 3 and t["418"] >= 1 and t["429"] == 0 for t in others), others
    assert stats["banned"] == 1, "only the careless process's own request met the ban"
