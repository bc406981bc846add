"""The journal's ledger and heartbeat: a run records its requests and its last-alive time, so a run resumed
after a kill counts the killed process's ended calls at their end and its cut-off calls at its last moments
(plus a margin), not at the resume."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import types
from collections.abc import AsyncIterator
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


@contextlib.asynccontextmanager
async def killed(path: Path, monkeypatch: pytest.MonkeyPatch, wall: list[float]) -> AsyncIterator[Journal]:
    """The journal at ``path`` of a process whose wall clock reads ``wall[0]``, committing until the block ends,
    when the process is killed; the next journal opened is the resumed process's."""
    monkeypatch.setattr(ledger, "time", types.SimpleNamespace(time=lambda: wall[0]))
    monkeypatch.setattr(ledger, "PROCESS", "the-killed-process")
    dead = Journal(str(path))
    await dead.open(ORIGIN)
    async with anyio.create_task_group() as committing:
        committing.start_soon(dead.run)
        yield dead
        committing.cancel_scope.cancel()
    await dead.aclose()
    monkeypatch.setattr(ledger, "PROCESS", "the-resumed-process")


@contextlib.asynccontextmanager
async def resumed(path: Path) -> AsyncIterator[Journal]:
    journal = Journal(str(path))
    await journal.open(ORIGIN)
    try:
        yield journal
    finally:
        await journal.aclose()


async def test_a_cut_off_call_counts_at_the_last_heartbeat_plus_the_margin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = [1000.0]
    async with killed(tmp_path / "run.db", monkeypatch, wall) as dead:
        dead.start_call(2)  # two requests noted, never ended: the process is killed mid-call
        await dead.record()
        wall[0] = 1003.0
        await next_heartbeat(tmp_path / "run.db-wal")  # the process was still alive at 1003

    wall[0] = 1030.0
    async with resumed(tmp_path / "run.db") as journal:
        # at the last heartbeat plus the margin (and the killed process's measured lag, a few milliseconds),
        # not at "now" (1030) as before the heartbeat, nor at the call's bound (1000 + 100)
        first, second = journal.earlier_requests(60.0, 100.0)
        assert first == second and 1003.0 + ledger.ALIVE_MARGIN <= first < 1030.0
        # the call's bound and "now" still cap it
        assert journal.earlier_requests(60.0, 2.0) == [1002.0] * 2


async def test_ended_calls_count_at_the_commit_that_noted_their_end_cut_off_ones_at_the_last_heartbeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = [1000.0]
    async with killed(tmp_path / "run.db", monkeypatch, wall) as dead:
        retried = dead.start_call(1)
        listed = dead.start_call(3)  # a call that announces the most requests it can make (a customer-list page)
        dead.start_call(1)  # cut off by the kill
        await dead.record()  # five requests announced at 1000
        wall[0] = 1001.0
        await dead.note_retry(retried)  # one more at 1001
        wall[0] = 1002.0
        dead.end_call(retried, 2)
        dead.end_call(listed, None)  # its requests unknown: as many as it announced
        await dead.record()  # two calls ended, five requests, noted at 1002

    wall[0] = 1010.0
    async with resumed(tmp_path / "run.db") as journal:
        *ended, cut_off = journal.earlier_requests(60.0, 100.0)
        assert ended == [1002.0] * 5
        # the last heartbeat (1002) plus the margin and the killed process's measured lag; "now" caps it
        assert 1002.0 + ledger.ALIVE_MARGIN <= cut_off <= 1010.0
        # the bound counts from the latest commit that announced requests (the retry's, at 1001): the record
        # says how many requests were cut off, not whose, so they are taken to be the latest
        assert journal.earlier_requests(60.0, 2.0) == [1002.0] * 5 + [1003.0]
        # a window that began after the calls ended holds only the cut-off request
        assert journal.earlier_requests(7.5, 100.0) == [cut_off]


async def test_a_waiting_run_moves_its_last_heartbeat_instead_of_growing_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = [1000.0]
    async with killed(tmp_path / "run.db", monkeypatch, wall) as dead:
        dead.start_call(1)
        await dead.record()
        for moment in (1001.0, 1002.0, 1003.0):
            wall[0] = moment
            await next_heartbeat(tmp_path / "run.db-wal")
    with sqlite3.connect(tmp_path / "run.db") as db:
        records = db.execute("SELECT at, announced, outstanding FROM ledger ORDER BY rowid").fetchall()
    db.close()
    assert records == [(1000.0, 1, 1), (1003.0, 0, 1)]


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
