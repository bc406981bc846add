"""A journal that can no longer be written stops the run, and no request goes out that it did not note."""

from __future__ import annotations

import csv
import re
import resource
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_helpers import FAST, customers_csv, held_by_email, import_, make_rows, point_env_at

from multimarkets import AsyncBridgeClient, JournalError
from multimarkets.bulk import read_results
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio

ROWS = 3000


@contextmanager
def files_capped_at(size: int) -> Iterator[None]:
    """Writes past ``size`` bytes of any file fail with EFBIG (as on a full disk) while the block runs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


async def test_a_failed_commit_stops_the_run_after_only_noted_requests(tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    async with Sandbox(rate_limit=FAST) as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
            with files_capped_at(256 * 1024), pytest.raises(JournalError, match="cannot write the journal"):
                await client.customers.register_many(make_rows(ROWS), journal=journal)
        registered = set(held_by_email(sb))
    noted = {result.email for result in read_results(journal)}
    assert 0 < len(registered) < ROWS  # the WAL filled up part-way through the run
    assert registered <= noted  # every call was committed before it was made


# `customers import` when its journal fails part-way: what the user reads, the exit code, and the journal kept.

IMPORT_ROWS = 400
IMPORT_CAP = 96 * 1024
"""Enough for the journal of some rows, not of all: the cap is met part-way, and resuming is quick."""


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox the command line is pointed at; scratch journals go to ``tmp_path/tmp``."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    with Sandbox.in_thread(rate_limit=FAST) as sb:
        point_env_at(sb, monkeypatch)
        yield sb


def assert_stopped_part_way(out: str, err: str, cause: str) -> int:
    """The run's summary on stdout and its error on stderr, one line naming the journal's path and the cause, with no
    traceback; returns how many rows the summary says were registered."""
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("multimarkets customers import: ")]
    assert line.startswith(f"multimarkets customers import: cannot write the journal {cause}"), line
    registered = int(re.search(r"^registered\s+(\d+)$", out, re.MULTILINE)[1])  # type: ignore[index]
    assert 0 < registered < IMPORT_ROWS
    assert int(re.search(r"^no outcome\s+(\d+)$", out, re.MULTILINE)[1]) == IMPORT_ROWS - registered  # type: ignore[index]
    return registered


def test_import_whose_journal_fills_the_disk_stops_with_a_summary_and_resumes(
    service: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, journal = customers_csv(tmp_path / "in.csv", IMPORT_ROWS), tmp_path / "run.db"
    with files_capped_at(IMPORT_CAP):
        assert import_(str(source), "--journal", str(journal)) == 2  # a fatal stop, as the help says
    out, err = capsys.readouterr()
    registered = assert_stopped_part_way(out, err, f"{journal}: ")
    assert f"the rows sent so far are recorded in {journal}: once the cause is fixed, run the same command" in err
    assert registered <= len(held_by_email(service))

    assert import_(str(source), "--journal", str(journal)) == 0
    held = held_by_email(service)
    assert len(held) == IMPORT_ROWS and all(len(numbers) == 1 for numbers in held.values())


def test_import_without_a_journal_keeps_the_scratch_one_that_failed_and_names_it(
    service: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, report = customers_csv(tmp_path / "in.csv", IMPORT_ROWS), tmp_path / "out.csv"
    with files_capped_at(IMPORT_CAP):
        assert import_(str(source), "--report", str(report)) == 2
    out, err = capsys.readouterr()
    assert_stopped_part_way(out, err, str(tmp_path / "tmp"))
    # The scratch journal holds the rows sent, those that may have been among them included: it stays.
    [kept] = re.findall(r"run the same command with --journal (\S+) to resume", err)
    assert Path(kept).parent.parent == tmp_path / "tmp" and Path(kept).is_file()
    assert not report.exists()

    assert import_(str(source), "--report", str(report), "--journal", kept) == 0
    held = held_by_email(service)
    assert len(held) == IMPORT_ROWS and all(len(numbers) == 1 for numbers in held.values())
    with report.open(newline="", encoding="utf-8") as lines:
        assert all(held[line["email"]] == [line["customer_no"]] for line in csv.DictReader(lines))


def test_a_journal_removed_during_an_import_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite goes on writing to a removed file without an error: the run would finish with every record lost."""
    source, journal = customers_csv(tmp_path / "in.csv", IMPORT_ROWS), tmp_path / "run.db"
    answered, release = [], threading.Event()

    async def remove_the_journal(ctx: RequestContext, body: dict[str, Any]) -> Any:
        answered.append(body)
        if len(answered) == 10:
            journal.unlink()
        if len(answered) >= 10:
            # Later answers wait, so that the run cannot end before the journal's next heartbeat.
            await anyio.to_thread.run_sync(release.wait)
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    with Sandbox.in_thread(rate_limit=FAST, handlers={ADD_CUSTOMER: remove_the_journal}) as sb:
        point_env_at(sb, monkeypatch)
        try:
            assert import_(str(source), "--journal", str(journal)) == 2
        finally:
            release.set()
    out, err = capsys.readouterr()
    assert_stopped_part_way(out, err, f"{journal}: the file was removed or replaced")
    assert f"{journal} is gone with its records" in err
