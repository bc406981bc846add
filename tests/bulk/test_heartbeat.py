"""The journal's heartbeat: a run records its last-alive time, so a run resumed after a kill counts the killed
process's cut-off calls at its last moments (plus a margin), not at the resume."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_helpers import FAST, make_rows

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import journal as journal_module
from multimarkets.bulk.journal import ALIVE_MARGIN, Journal
from multimarkets.bulk.service import Origin
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio

ORIGIN = Origin("http://127.0.0.1:1/webhook", "key", "1")


async def test_a_cut_off_call_counts_at_the_last_heartbeat_plus_the_margin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = [1000.0]
    fake_time = types.SimpleNamespace(time=lambda: wall[0], monotonic=lambda: 50.0)
    monkeypatch.setattr(journal_module, "time", fake_time)
    monkeypatch.setattr(journal_module, "PROCESS", "the-killed-process")
    dead = Journal(tmp_path / "run.db", ORIGIN)
    await dead.open()
    dead.start_call(2)  # two requests noted, never ended: the process is killed mid-call
    await dead.record()
    wall[0] = 1003.0
    await dead.record()  # a later commit (or heartbeat): the process was still alive at 1003
    await dead.aclose()

    monkeypatch.setattr(journal_module, "PROCESS", "the-resumed-process")
    wall[0] = 1030.0
    resumed = Journal(tmp_path / "run.db", ORIGIN)
    await resumed.open()
    try:
        # not at "now" (1030) as before the heartbeat, nor at the call's bound (1000 + 100)
        assert resumed.earlier_requests(60.0, 100.0) == [1003.0 + ALIVE_MARGIN] * 2
        # the call's bound and "now" still cap it
        assert resumed.earlier_requests(60.0, 2.0) == [1002.0] * 2
    finally:
        await resumed.aclose()


async def test_a_run_beats_while_waiting_for_an_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    beats = 0
    beaten = anyio.Event()
    commit = Journal._commit

    def counting_commit(self: Journal, batch: list[Any], calls: list[Any]) -> None:
        nonlocal beats
        commit(self, batch, calls)
        if not batch and not calls:  # nothing but the heartbeat
            beats += 1
            if beats == 2:
                beaten.set()

    monkeypatch.setattr(Journal, "_commit", counting_commit)

    async def answer_after_two_heartbeats(ctx: RequestContext, body: dict[str, Any]) -> Any:
        await beaten.wait()
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    sandbox = Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: answer_after_two_heartbeats})
    async with sandbox as sb, AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        with anyio.fail_after(5):
            report = await client.customers.register_many(make_rows(1), journal=tmp_path / "run.db")
    assert report.registered == 1 and beats >= 2
