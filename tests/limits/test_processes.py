"""Four worker processes sharing one API key through each shared store, against the sandbox at a scaled limit."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from multimarkets import RateLimit
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

WORKER = Path(__file__).with_name("worker.py")
LIMIT = RateLimit(20, 2.0)


async def run_workers(sb: Sandbox, store_url: str, count: int, *options: str) -> list[dict[str, int]]:
    """Start ``count`` worker processes at once; their tallies."""
    credentials = {
        "api_key": sb.credentials.api_key,
        "secret_key": sb.credentials.secret_key,
        "company_id": sb.credentials.company_id,
    }
    env = {**os.environ, "MM_CREDENTIALS": json.dumps(credentials)}
    command = [sys.executable, str(WORKER), sb.base_url, store_url, *options]
    results: list[Any] = []

    async def one() -> None:
        done = await anyio.run_process(command, env=env, check=False)
        assert done.returncode == 0, done.stderr.decode()
        results.append(json.loads(done.stdout))

    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(one)
    return results


async def test_four_processes_keep_to_one_limit_without_a_429(store_url: str) -> None:
    async with Sandbox(rate_limit=LIMIT, ban="60s") as sb:
        tallies = await run_workers(sb, store_url, 4, f"{LIMIT.requests}/{LIMIT.window:g}s", "--calls", "8")
        stats = sb.stats()
    assert tallies == [{"ok": 8, "429": 0, "418": 0}] * 4
    assert (stats["rate_limited"], stats["banned"]) == (0, 0)


async def test_a_ban_met_by_one_process_stops_the_others_until_it_ends(store_url: str) -> None:
    # The ban outlasts the start of three Python processes on a busy machine.
    async with Sandbox(rate_limit="5/1s", ban="8s") as sb:
        # One careless process, with no limit of its own, runs into a 429 and then the ban.
        (careless,) = await run_workers(sb, store_url, 1, "none", "--until-banned", "--concurrency", "1")
        assert careless["418"] == 1 and careless["429"] >= 1
        # The others learn of the ban from the store: they send nothing until it ends, then carry on.
        others = await run_workers(sb, store_url, 3, "5/1s", "--calls", "2", "--wait-out-ban", "--concurrency", "1")
        stats = sb.stats()
    assert all(t["ok"] == 2 and t["418"] >= 1 and t["429"] == 0 for t in others), others
    assert stats["banned"] == 1, "only the careless process's own request met the ban"
