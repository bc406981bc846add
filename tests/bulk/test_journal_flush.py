"""The journal's WAL is flushed ahead of the close by a worker thread (see ``multimarkets.bulk.journal``): the
run leaves no WAL, and nothing open but that descriptor of the deleted WAL, closed in the background, when it
returns."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import anyio
import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import journal as journal_module
from multimarkets.bulk import read_results
from multimarkets.bulk.journal import Journal
from multimarkets.bulk.service import Origin
from multimarkets.sandbox import Sandbox

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flushing ahead needs fdatasync; /proc"),
]

ORIGIN = Origin("http://127.0.0.1:1/webhook", "key", "1")


def _dropped(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a journal closed the WAL's descriptor of the flushes ahead (after its close, in the background)."""
    dropped = threading.Event()
    drop = Journal._drop_wal

    def counted(self: Journal) -> None:
        drop(self)
        dropped.set()

    monkeypatch.setattr(Journal, "_drop_wal", counted)
    return dropped


def _open_paths() -> set[str]:
    paths = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            paths.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # closed meanwhile (the listing's own descriptor)
            continue
    return paths


async def test_a_run_flushed_ahead_leaves_no_file_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed: list[int] = []
    flush = journal_module._flush
    assert flush is not None

    def counted(fd: int) -> None:
        flushed.append(fd)
        flush(fd)

    monkeypatch.setattr(journal_module, "_flush", counted)
    dropped = _dropped(monkeypatch)
    journal = tmp_path / "run.db"
    # Slow enough answers for the run to outlast a few heartbeat ticks (each may start a flush).
    sandbox = Sandbox(rate_limit=FAST, faults="latency=2ms..4ms", seed=1)
    async with sandbox as sb, AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        report = await client.customers.register_many(make_rows(400), journal=journal, concurrency=8)
        held = held_by_email(sb)
        assert flushed
        # The journal itself is closed; at most the deleted WAL's descriptor waits for its close.
        assert {path for path in _open_paths() if path.startswith(str(journal))} <= {f"{journal}-wal (deleted)"}
        assert await anyio.to_thread.run_sync(dropped.wait, 10)
        left = {path for path in _open_paths() if path.startswith(str(journal))}
    assert left == set()
    assert sorted(os.listdir(tmp_path)) == ["run.db"]  # no WAL left beside it
    assert report.registered == 400
    assert {result.email: [result.customer_no] for result in read_results(journal)} == held


async def test_a_close_cancelled_while_a_flush_is_under_way_still_releases_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C or a timeout cancels the task closing the journal while a flush ahead is under way (a slow disk):
    the cancellation takes effect once the journal is released, so a resume right after can take it. Before, the
    file stayed open and locked (and the WAL's own descriptor open for good)."""
    flushing, disk = threading.Event(), threading.Event()
    flush = journal_module._flush
    assert flush is not None

    def slow(fd: int) -> None:
        flushing.set()
        disk.wait(10)
        flush(fd)

    monkeypatch.setattr(journal_module, "_flush", slow)
    dropped = _dropped(monkeypatch)
    path = tmp_path / "run.db"
    journal = Journal(str(path))
    await journal.open(ORIGIN)
    running = asyncio.ensure_future(journal.run())
    journal.start_call(1)
    await journal.record()  # a commit: the next heartbeat starts a flush ahead
    await anyio.to_thread.run_sync(flushing.wait, 10)
    closing = asyncio.ensure_future(journal.aclose())
    await asyncio.sleep(0)  # the close is asked for
    closing.cancel()
    disk.set()
    with pytest.raises(asyncio.CancelledError):
        await closing
    running.cancel()
    assert await anyio.to_thread.run_sync(dropped.wait, 10)  # once the flush under way is done
    assert {p for p in _open_paths() if p.startswith(str(path))} == set()
    assert sorted(os.listdir(tmp_path)) == ["run.db"]
    resumed = Journal(str(path))
    await resumed.open(ORIGIN)
    await resumed.aclose()
