"""A file that is not a journal of this format is refused before anything is written to it or sent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bulk_helpers import FAST, make_rows

from multimarkets import AsyncBridgeClient, JournalError
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

PER_CALL_LEDGER = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES ('format', 'multimarkets.bulk.register/3');"
    "CREATE TABLE rows (position INTEGER PRIMARY KEY, digest TEXT NOT NULL, state TEXT NOT NULL);"
    "CREATE TABLE calls (key TEXT PRIMARY KEY, process TEXT, started REAL, ended REAL, requests INTEGER);"
)
"""What a build with one ledger record per call left (the tables that matter here)."""

ANOTHER_APP = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine');"


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        found = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    return found


@pytest.mark.parametrize(
    ("script", "refusal"),
    [
        (PER_CALL_LEDGER, "(multimarkets.bulk.register/3), not multimarkets.bulk.register/5"),
        (ANOTHER_APP, "is not a multimarkets bulk journal"),
    ],
    ids=["earlier-format", "another-app"],
)
async def test_the_file_is_refused_untouched_and_nothing_is_sent(tmp_path: Path, script: str, refusal: str) -> None:
    journal = tmp_path / "run.db"
    with sqlite3.connect(journal) as db:
        db.executescript(script)
    db.close()
    before = tables(journal)
    async with Sandbox(rate_limit=FAST) as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
            with pytest.raises(JournalError) as caught:
                await client.customers.register_many(make_rows(3), journal=journal)
        assert sb.stats()["requests"] == 0
    assert refusal in str(caught.value)
    assert tables(journal) == before


async def test_a_journal_sqlite_cannot_keep_in_wal_mode_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite opens ":memory:" as a database in memory, whose journal mode stays "memory": nothing of the run
    # would be kept to resume. The switch to WAL answers with the mode it kept, without an error.
    monkeypatch.chdir(tmp_path)
    async with Sandbox(rate_limit=FAST) as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
            with pytest.raises(JournalError, match=r"cannot keep it in WAL mode \(memory\)"):
                await client.customers.register_many(make_rows(3), journal=":memory:")
        assert sb.stats()["requests"] == 0
