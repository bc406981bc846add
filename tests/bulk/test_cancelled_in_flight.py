"""A bulk run cancelled (a Ctrl-C, a cancel scope) while rows are being sent says that those rows may have reached
the service, and how many: a warning as the run ends, and their journal records read back as ``not_attempted``
"maybe sent". Resuming with the journal sends them again, and the service's duplicate check reports each one the
cut-off call registered as ``already_exists``, probably ours. Against the sandbox over loopback, whose handler
registers the rows past the first few and then holds their answers, so that every worker's row is in flight."""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import RowOutcome, read_results
from multimarkets.bulk.policy import MAYBE_SENT
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

ROWS = 30
ANSWERED = 6
"""Rows answered before the sandbox starts holding answers."""
CONCURRENCY = 4
WAIT = 30.0


class HeldAnswers:
    """A registration handler that registers every row but holds the answers after the first ``ANSWERED`` until
    :meth:`release`; :meth:`wait_for` waits (in any thread) until ``count`` answers are held."""

    def __init__(self) -> None:
        self._calls = 0
        self._held = 0
        self._changed = threading.Condition()
        self._released: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, ctx: RequestContext, body: dict[str, Any]) -> Any:
        answer = await HANDLERS[ADD_CUSTOMER](ctx, body)
        self._calls += 1
        if self._calls <= ANSWERED:
            return answer
        if self._released is None:
            self._released, self._loop = asyncio.Event(), asyncio.get_running_loop()
        if self._released.is_set():
            return answer
        with self._changed:
            self._held += 1
            self._changed.notify_all()
        await self._released.wait()
        return answer  # to a client long gone

    def release(self) -> None:
        """Answer the held calls (the sandbox's stop would wait for them), and every later one at once."""
        assert self._loop is not None and self._released is not None
        self._loop.call_soon_threadsafe(self._released.set)

    def wait_for(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self._held >= count, WAIT), self._held


def maybe_sent(journal: Path) -> list[int]:
    results = list(read_results(journal))
    assert all(r.outcome is not RowOutcome.NOT_ATTEMPTED or r.message == MAYBE_SENT for r in results)
    return [r.row for r in results if r.message == MAYBE_SENT]


@pytest.mark.anyio
@pytest.mark.parametrize("with_journal", [True, False])
async def test_a_cancelled_run_warns_how_many_rows_may_have_been_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, with_journal: bool
) -> None:
    held = HeldAnswers()
    journal = tmp_path / "run.db" if with_journal else None
    # A client with a limit, as the command line's: one without notes rows' calls a few rows ahead of the workers,
    # which a journal then holds in flight too (a resume takes them for maybe sent as well).
    async with (
        Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: held}) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=FAST) as client,
    ):
        with caplog.at_level(logging.WARNING, "multimarkets"), anyio.CancelScope() as scope:
            async with anyio.create_task_group() as group:
                group.start_soon(
                    lambda: client.customers.register_many(make_rows(ROWS), concurrency=CONCURRENCY, journal=journal)
                )
                await anyio.to_thread.run_sync(held.wait_for, CONCURRENCY)
                scope.cancel()
        registered = len(held_by_email(sb))
        held.release()
    assert registered == ANSWERED + CONCURRENCY  # the service holds every row that was in flight
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(
        f"bulk run was cancelled with {CONCURRENCY} row(s) noted as being sent, which the service may have registered; "
    )
    if journal is None:
        assert warning.endswith(
            "no journal records which: sent again, one the service holds is reported as already exists"
        )
        return
    assert warning.endswith(
        f"resuming with the journal {journal} sends them again, and one the service holds is reported as "
        "already exists (probably ours)"
    )
    assert maybe_sent(journal) == list(range(ANSWERED + 1, ANSWERED + CONCURRENCY + 1))


def test_ctrl_c_of_an_import_says_which_rows_may_have_been_sent_and_a_resume_settles_them(tmp_path: Path) -> None:
    rows = make_rows(ROWS)
    with (tmp_path / "customers.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    journal = tmp_path / "run.db"
    command = [sys.executable, "-m", "multimarkets.cli", "customers", "import", str(tmp_path / "customers.csv")]
    command += ["--journal", str(journal), "--concurrency", str(CONCURRENCY), "--rate-limit", "1000/1s"]
    held = HeldAnswers()
    with Sandbox.in_thread(rate_limit=FAST, handlers={ADD_CUSTOMER: held}) as sb:
        credentials = sb.credentials
        env = dict(
            os.environ,
            MULTIMARKETS_BASE_URL=sb.base_url,
            MULTIMARKETS_API_KEY=credentials.api_key,
            MULTIMARKETS_SECRET_KEY=credentials.secret_key,
            MULTIMARKETS_COMPANY_ID=credentials.company_id,
        )
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
            held.wait_for(CONCURRENCY)
            run.send_signal(signal.SIGINT)
            _, errors = run.communicate(timeout=WAIT)
        assert run.returncode == 130, errors
        assert (
            f"bulk run was cancelled with {CONCURRENCY} row(s) noted as being sent, which the service may have "
            f"registered; resuming with the journal {journal} sends them again" in errors
        )
        assert f"interrupted; run the same command again to resume from {journal}" in errors
        in_flight = list(range(ANSWERED + 1, ANSWERED + CONCURRENCY + 1))
        assert maybe_sent(journal) == in_flight

        held.release()
        resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=WAIT)
        customers = held_by_email(sb)
    assert resumed.returncode == 0, resumed.stderr
    results = list(read_results(journal))
    assert [r.row for r in results if r.probably_ours] == in_flight
    assert [r.outcome for r in results] == [RowOutcome.REGISTERED] * ANSWERED + [RowOutcome.ALREADY_EXISTS] * len(
        in_flight
    ) + [RowOutcome.REGISTERED] * (ROWS - ANSWERED - len(in_flight))
    assert sorted(customers) == sorted(row["email"] for row in rows)
    assert all(len(numbers) == 1 for numbers in customers.values())
