"""The journal's heartbeat: a run records its last-alive time, so a run resumed after a kill counts the killed
process's cut-off calls at its last moments (plus a margin), not at the resume."""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_helpers import FAST, make_rows

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import ledger
from multimarkets.bulk.journal import Journal
from multimarkets.bulk.service import Origin
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio

ORIGIN = Origin("http://127.0.0.1:1/webhook", "key", "1")


async def next_heartbeat(wal: Path) -> None:
    """Return once the journal commits again while nothing is noted: its heartbeat."""
    sizes = {os.stat(wal).st_size}
    with anyio.fail_after(5):
        while len(sizes) < 2:
            await anyio.sleep(0.01)
            sizes.add(os.stat(wal).st_size)


async def test_a_cut_off_call_counts_at_the_last_heartbeat_plus_the_margin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = [1000.0]
    monkeypatch.setattr(ledger, "time", types.SimpleNamespace(time=lambda: wall[0]))
    monkeypatch.setattr(ledger, "PROCESS", "the-killed-process")
    dead = Journal(str(tmp_path / "run.db"))
    await dead.open(ORIGIN)
    async with anyio.create_task_group() as committing:
        committing.start_soon(dead.run)
        dead.start_call(2)  # two requests noted, never ended: the process is killed mid-call
        await dead.record()
        wall[0] = 1003.0
        await next_heartbeat(tmp_path / "run.db-wal")  # the process was still alive at 1003
        committing.cancel_scope.cancel()
    await dead.aclose()

    monkeypatch.setattr(ledger, "PROCESS", "the-resumed-process")
    wall[0] = 1030.0
    resumed = Journal(str(tmp_path / "run.db"))
    await resumed.open(ORIGIN)
    try:
        # at the last heartbeat plus the margin (and the killed process's measured lag, a few milliseconds),
        # not at "now" (1030) as before the heartbeat, nor at the call's bound (1000 + 100)
        first, second = resumed.earlier_requests(60.0, 100.0)
        assert first == second and 1003.0 + ledger.ALIVE_MARGIN <= first < 1030.0
        # the call's bound and "now" still cap it
        assert resumed.earlier_requests(60.0, 2.0) == [1002.0] * 2
    finally:
        await resumed.aclose()


async def test_a_run_beats_while_waiting_for_an_answer(tmp_path: Path) -> None:
    wal = tmp_path / "run.db-wal"

    async def answer_after_two_heartbeats(ctx: RequestContext, body: dict[str, Any]) -> Any:
        # Nothing else is written while the only row waits here: each commit that grows the WAL is a heartbeat.
        await next_heartbeat(wal)
        await next_heartbeat(wal)
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    sandbox = Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: answer_after_two_heartbeats})
    async with sandbox as sb, AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        with anyio.fail_after(5):
            report = await client.customers.register_many(make_rows(1), journal=tmp_path / "run.db")
    assert report.registered == 1
