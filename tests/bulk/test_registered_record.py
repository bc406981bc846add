"""A registered row's record is updated, never inserted: the statement that records it (``store.REGISTERED``) is
an upsert whose insert would leave a placeholder (no fingerprint, no e-mail or phone), and it never runs that way
because every call is noted (``store.FIRST`` or ``store.SENDING``) and committed before it is made."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import AsyncBridgeClient, RateLimit
from multimarkets.bulk import RowOutcome, read_results
from multimarkets.bulk.journal import Journal
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

# Lost answers and server errors: rows retried by the client and by the engine, some "already exists" after.
FAULTS = "addCustomer:error5xx=0.15,addCustomer:reset_after_commit=0.1,latency=0ms..2ms"


@pytest.mark.parametrize(
    ("limit", "resumed"),
    [(None, False), (RateLimit(1000, 1.0), False), (None, True)],
    ids=["noted-ahead", "noted-per-call", "resumed"],
)
async def test_each_registered_row_was_noted_in_a_commit_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: RateLimit | None, resumed: bool
) -> None:
    noted: set[int] = set()
    unnoted: list[int] = []
    write = Journal._write

    def checking(journal: Journal, notes: Any, beat: bool) -> None:
        # A commit writes its FIRST and SENDING rows before its REGISTERED ones (see journal._Notes.write).
        noted.update(notes.first[0::4])  # each row's (position, digest, email, phone)
        noted.update(notes.sending[0::6])  # each row's (position, digest, email, phone, attempts, ambiguous)
        unnoted.extend(position for position in notes.registered[0::2] if position not in noted)
        write(journal, notes, beat)

    monkeypatch.setattr(Journal, "_write", checking)
    rows, path = make_rows(60), tmp_path / "run.db"
    async with (
        Sandbox(rate_limit=FAST, faults=FAULTS, seed=3) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=limit) as client,
    ):
        if resumed:
            await client.customers.register_many(rows[:20], journal=path, concurrency=8)
        report = await client.customers.register_many(rows, journal=path, concurrency=8)
        held = held_by_email(sb)
    assert unnoted == []
    assert (report.registered + report.already_exists, report.failed, report.not_attempted) == (60, 0, 0)
    assert len(held) == 60
    results = list(read_results(path))
    assert {r.email: [r.customer_no] for r in results if r.outcome is RowOutcome.REGISTERED}.items() <= held.items()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM rows WHERE digest = '' OR email IS NULL").fetchone() == (0,)
    db.close()
