"""An input that raises midway (a CSV reader meeting a bad line): every row read before is worked to its outcome
and reported, as if the input had ended there, then the input's error is raised; a resume registers the rest,
each customer once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import AsyncBridgeClient, BridgeClient, RateLimit
from multimarkets.bulk import RowOutcome, RowResult, Rows, read_results
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

READ = 10
"""Rows the input gives before it raises: with a concurrency of 4, the other workers hold rows when it raises, and
without a rate limit a journal's run reads rows a chunk of 4 ahead, the last chunk cut short by the error."""
TOTAL = 15


class InputBrokeError(Exception):
    pass


def broken(rows: list[dict[str, Any]], after: int) -> Iterator[dict[str, Any]]:
    yield from rows[:after]
    raise InputBrokeError(f"bad line after row {after}")


async def broken_async(rows: list[dict[str, Any]], after: int) -> AsyncIterator[dict[str, Any]]:
    for row in rows[:after]:
        yield row
    raise InputBrokeError(f"bad line after row {after}")


def broken_input(kind: str, rows: list[dict[str, Any]], after: int) -> Rows:
    return broken(rows, after) if kind == "iterable" else broken_async(rows, after)


async def run(client: AsyncBridgeClient, consumer: str, rows: Rows, journal: Path | None) -> list[RowResult]:
    """Run over ``rows``, expecting the input's error; the results the consumer saw."""
    seen: list[RowResult] = []
    with pytest.raises(InputBrokeError):
        if consumer == "stream":
            async with aclosing(client.customers.stream_register(rows, concurrency=4, journal=journal)) as results:
                async for result in results:
                    seen.append(result)
        else:
            on_result = seen.append if consumer == "on_result" else None
            await client.customers.register_many(rows, concurrency=4, journal=journal, on_result=on_result)
    return seen


def assert_registered(results: list[RowResult], rows: list[dict[str, Any]], sandbox: Sandbox) -> None:
    """``results`` say each of ``rows`` was registered, once, as the sandbox holds it."""
    assert sorted(r.row for r in results) == list(range(1, len(rows) + 1))
    assert {r.outcome for r in results} == {RowOutcome.REGISTERED}
    held = held_by_email(sandbox)
    assert {r.email: [r.customer_no] for r in results} == held


@pytest.mark.parametrize("consumer", ["on_result", "stream", "report"])
@pytest.mark.parametrize("limited", [False, True], ids=["unlimited", "rate-limited"])
@pytest.mark.parametrize("journal", [False, True], ids=["memory", "journal"])
@pytest.mark.parametrize("kind", ["iterable", "async-iterable"])
async def test_rows_read_before_the_input_raised_are_worked_and_reported(
    tmp_path: Path, kind: str, journal: bool, limited: bool, consumer: str
) -> None:
    rows = make_rows(TOTAL)
    path = tmp_path / "run.db" if journal else None
    limit = RateLimit(1000, 1.0) if limited else None
    async with (
        Sandbox(rate_limit=FAST) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=limit) as client,
    ):
        seen = await run(client, consumer, broken_input(kind, rows, READ), path)
        if consumer != "report":
            assert_registered(seen, rows[:READ], sb)
        if path is None:
            assert sorted(held_by_email(sb)) == sorted(row["email"] for row in rows[:READ])
            return
        assert_registered(list(read_results(path)), rows[:READ], sb)

        resumed: list[RowResult] = []
        report = await client.customers.register_many(rows, concurrency=4, journal=path, on_result=resumed.append)
        assert (report.total, report.resumed, report.registered, report.not_attempted) == (TOTAL, READ, TOTAL, 0)
        assert sorted(r.row for r in resumed if r.resumed) == list(range(1, READ + 1))
        assert_registered(list(read_results(path)), rows, sb)


@pytest.mark.parametrize("consumer", ["on_result", "stream"])
async def test_a_resumed_run_reports_every_row_read_before_the_input_raised(
    client: AsyncBridgeClient, sandbox: Sandbox, tmp_path: Path, consumer: str
) -> None:
    """A resumed run reads its rows ahead to look up what the journal holds of them."""
    rows, path = make_rows(TOTAL), tmp_path / "run.db"
    await client.customers.register_many(rows, journal=path)
    seen = await run(client, consumer, broken_input("iterable", rows, READ), path)
    assert sorted(r.row for r in seen) == list(range(1, READ + 1))
    assert all(r.resumed and r.outcome is RowOutcome.REGISTERED for r in seen)
    assert_registered(list(read_results(path)), rows, sandbox)


@pytest.mark.parametrize("consumer", ["on_result", "stream", "report"])
@pytest.mark.parametrize("journal", [False, True], ids=["memory", "journal"])
@pytest.mark.parametrize("kind", ["iterable", "async-iterable"])
async def test_an_input_raising_on_its_first_row_sends_nothing(
    client: AsyncBridgeClient, sandbox: Sandbox, tmp_path: Path, kind: str, journal: bool, consumer: str
) -> None:
    rows = make_rows(3)
    path = tmp_path / "run.db" if journal else None
    assert await run(client, consumer, broken_input(kind, rows, 0), path) == []
    assert sandbox.customers() == []
    if path is not None:
        assert list(read_results(path)) == []
        report = await client.customers.register_many(rows, journal=path)
        assert (report.registered, report.resumed) == (3, 0)
        assert_registered(list(read_results(path)), rows, sandbox)


async def test_a_duplicate_waiting_for_its_turn_when_the_input_raised_is_reported(
    client: AsyncBridgeClient, sandbox: Sandbox
) -> None:
    rows = make_rows(READ)
    rows[-1] = {**rows[-2], "password": "another"}  # the same customer as the row before it
    seen = await run(client, "on_result", broken_input("iterable", rows, READ), None)
    assert sorted(r.row for r in seen) == list(range(1, READ + 1))
    assert [r.outcome for r in sorted(seen, key=lambda r: r.row)][-2:] == [
        RowOutcome.REGISTERED,
        RowOutcome.ALREADY_EXISTS,
    ]
    assert len(held_by_email(sandbox)) == READ - 1


@pytest.mark.parametrize("journal", [False, True], ids=["memory", "journal"])
def test_sync_client_reports_the_rows_read_before_the_input_raised(tmp_path: Path, journal: bool) -> None:
    rows = make_rows(TOTAL)
    path = tmp_path / "run.db" if journal else None
    with Sandbox.in_thread(rate_limit=FAST) as sb, BridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        seen: list[RowResult] = []
        with pytest.raises(InputBrokeError):
            client.customers.register_many(broken(rows, READ), concurrency=4, journal=path, on_result=seen.append)
        assert_registered(seen, rows[:READ], sb)

        streamed: list[RowResult] = []
        with pytest.raises(InputBrokeError):
            for result in client.customers.stream_register(broken(rows[READ:], 3), concurrency=4, journal=None):
                streamed.append(result)
        assert sorted(r.row for r in streamed) == [1, 2, 3]
        assert {r.outcome for r in streamed} == {RowOutcome.REGISTERED}
        assert len(held_by_email(sb)) == READ + 3


class CallbackBrokeError(Exception):
    pass


@pytest.mark.parametrize("journal", [False, True], ids=["memory", "journal"])
async def test_on_result_raising_after_the_input_raised_keeps_the_inputs_error_as_its_context(
    client: AsyncBridgeClient, tmp_path: Path, journal: bool
) -> None:
    rows, raised = make_rows(TOTAL), []

    def broken_then_noted() -> Iterator[dict[str, Any]]:
        try:
            yield from broken(rows, READ)
        except InputBrokeError:
            raised.append(True)
            raise

    def on_result(result: RowResult) -> None:
        if raised:  # the rows read before the input raised are being worked to their outcomes
            raise CallbackBrokeError(result.row)

    path = tmp_path / "run.db" if journal else None
    with pytest.raises(CallbackBrokeError) as failed:
        await client.customers.register_many(broken_then_noted(), concurrency=4, journal=path, on_result=on_result)
    assert isinstance(failed.value.__context__, InputBrokeError)


class _Unreadable:
    """A value that cannot even be shown (a lazily loaded field whose load fails, a database row proxy's)."""

    def __str__(self) -> str:
        raise InputBrokeError("record load failed")


async def each(rows: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for row in rows:
        yield row


@pytest.mark.parametrize("field", ["email", "password", "country"])
@pytest.mark.parametrize(
    ("kind", "journal"),
    [("iterable", False), ("iterable", True), ("async-iterable", False), ("async-iterable", True), ("resumed", True)],
)
async def test_a_value_that_cannot_be_shown_makes_its_row_invalid_on_every_path(
    client: AsyncBridgeClient, sandbox: Sandbox, tmp_path: Path, kind: str, journal: bool, field: str
) -> None:
    """Not text, the value makes its row invalid before anything reads it as text; recording the row (its
    fingerprint, its e-mail and phone) must not end the run either: the row is reported invalid, naming the field,
    and the rows after it are registered, whether the input is plain or async, new or resumed, with a journal or
    without."""
    rows = make_rows(TOTAL)
    path = tmp_path / "run.db" if journal else None
    if kind == "resumed":
        await client.customers.register_many(rows[:3], journal=path)  # an earlier run: this one resumes it
    bad = [*rows[:READ], {**rows[READ], field: _Unreadable()}, *rows[READ + 1 :]]
    seen: list[RowResult] = []
    source = bad if kind != "async-iterable" else each(bad)
    report = await client.customers.register_many(source, concurrency=4, journal=path, on_result=seen.append)
    assert (report.total, report.registered, report.invalid) == (TOTAL, TOTAL - 1, 1)
    [invalid] = [result for result in seen if result.outcome is not RowOutcome.REGISTERED]
    assert (invalid.row, invalid.outcome, invalid.code) == (READ + 1, RowOutcome.INVALID, field)
    sent = [row for row in rows if row is not rows[READ]]
    assert sorted(held_by_email(sandbox)) == sorted(row["email"] for row in sent)
    if path is not None:
        recorded = list(read_results(path))
        assert [r.outcome for r in recorded] == [RowOutcome.REGISTERED] * READ + [RowOutcome.INVALID] + [
            RowOutcome.REGISTERED
        ] * (TOTAL - READ - 1)
        # A resume with the same input finds every row settled, the invalid one included (its fingerprint holds).
        again = await client.customers.register_many(bad, journal=path)
        assert (again.resumed, again.calls) == (TOTAL, 0)


class _LazyRow(Mapping[str, Any]):
    """A row whose fields load as they are read (a database row proxy's), and whose load fails."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def __getitem__(self, name: str) -> Any:
        raise InputBrokeError("record load failed")

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


@pytest.mark.parametrize(
    ("kind", "journal"),
    [("iterable", False), ("iterable", True), ("async-iterable", False), ("async-iterable", True), ("resumed", True)],
)
async def test_a_row_whose_reading_raises_ends_the_input_there_on_every_path(
    client: AsyncBridgeClient, sandbox: Sandbox, tmp_path: Path, kind: str, journal: bool
) -> None:
    """Raising as its values are got, the row is the input's error as if the input had raised it: the rows read
    before it are worked to their outcomes, whether the input is plain or async, new or resumed."""
    rows = make_rows(TOTAL)
    path = tmp_path / "run.db" if journal else None
    if kind == "resumed":
        await client.customers.register_many(rows[:3], journal=path)  # an earlier run: this one resumes it
    bad = [*rows[:READ], _LazyRow(rows[READ]), *rows[READ + 1 :]]
    seen = await run(client, "on_result", bad if kind != "async-iterable" else each(bad), path)
    assert_registered(seen, rows[:READ], sandbox)
    if path is not None:
        assert_registered(list(read_results(path)), rows[:READ], sandbox)


# In a process of its own, with a timeout: broken, the caller waited for ever (the portal's thread had ended).
INTERRUPTING_INPUT_SCRIPT = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from bulk_helpers import FAST, held_by_email, make_rows
from multimarkets import BridgeClient
from multimarkets.sandbox import Sandbox

def broken(rows, after, exc):
    yield from rows[:after]
    raise exc

rows, journal = make_rows(15), sys.argv[2]
with Sandbox.in_thread(rate_limit=FAST) as sb, BridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
    try:
        for result in client.customers.stream_register(broken(rows, 5, KeyboardInterrupt("stop")), journal=journal):
            pass
    except KeyboardInterrupt as exc:
        print("stream_register", repr(exc), flush=True)

    async def in_a_running_loop():  # as in Jupyter: the run goes through the portal's thread too
        try:
            client.customers.register_many(broken(rows, 10, SystemExit("bad input file")), journal=journal)
        except SystemExit as exc:
            print("register_many", repr(exc), flush=True)

    asyncio.run(in_a_running_loop())
    report = client.customers.register_many(rows, journal=journal)
    held = held_by_email(sb)
    print(report.total, report.not_attempted + report.failed, len(held), max(map(len, held.values())), flush=True)
"""


def run_script(script: str, argument: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a Python process of its own, with this directory and ``argument`` as its arguments."""
    command = [sys.executable, "-c", script, str(Path(__file__).parent), argument]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_sync_client_raises_an_inputs_keyboardinterrupt_or_systemexit_and_goes_on(tmp_path: Path) -> None:
    """Raised by the input while the portal's thread runs the run (streaming, or called inside a running loop), it
    reaches the caller as is (not in an exception group), the client goes on working, and a resume with the same
    journal registers every customer once."""
    result = run_script(INTERRUPTING_INPUT_SCRIPT, str(tmp_path / "run.db"))
    assert result.stdout.splitlines() == [
        "stream_register KeyboardInterrupt('stop')",
        "register_many SystemExit('bad input file')",
        f"{TOTAL} 0 {TOTAL} 1",
    ], result.stderr
    assert result.returncode == 0, result.stderr


# In a process of its own: before the fix, the input's KeyboardInterrupt left the event loop from a worker's task.
INTERRUPTED_IN_FLIGHT_SCRIPT = """
import asyncio, sys
from contextlib import aclosing
sys.path.insert(0, sys.argv[1])
from bulk_helpers import FAST, held_by_email, make_rows
from multimarkets import AsyncBridgeClient
from multimarkets.bulk import read_results
from multimarkets.sandbox import Sandbox

KINDS = ("async", "resumed", "stream")

def broken(rows, exc):
    yield from rows
    raise exc

async def broken_async(rows, exc):
    for row in rows:
        yield row
    raise exc

async def main(sb, kind, journal):
    rows = make_rows(10, start=KINDS.index(kind) * 100)
    async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        if kind == "resumed":
            await client.customers.register_many(rows[:2], journal=journal)
        source = broken(rows, SystemExit(kind)) if kind == "resumed" else broken_async(rows, KeyboardInterrupt(kind))
        try:
            if kind == "stream":
                async with aclosing(client.customers.stream_register(source, concurrency=4, journal=journal)) as run:
                    async for result in run:
                        pass
            else:
                await client.customers.register_many(source, concurrency=4, journal=journal)
        except (KeyboardInterrupt, SystemExit) as exc:
            print(kind, "raised", repr(exc), flush=True)

# Each call takes 30 ms: the workers hold rows on their way when the input raises.
with Sandbox.in_thread(rate_limit=FAST, faults="latency=30ms..30ms") as sb:
    for kind in KINDS:
        journal = f"{sys.argv[2]}/{kind}.db"
        try:
            asyncio.run(main(sb, kind, journal))
        except (KeyboardInterrupt, SystemExit) as exc:
            print(kind, "escaped", repr(exc), flush=True)
        held = held_by_email(sb)
        results = list(read_results(journal))
        wrong = [(r.row, r.outcome.value) for r in results if held.get(r.email) != [r.customer_no]]
        print(kind, len(results), "rows, wrong:", wrong, flush=True)
"""


def test_rows_on_their_way_when_the_input_raises_keyboardinterrupt_get_their_outcome(tmp_path: Path) -> None:
    """A KeyboardInterrupt or SystemExit from the input ends it as any error does: the rows read before it, those
    on their way included, are worked to their outcomes and journaled (they were left "in flight", read back as
    not attempted although the service registered them), then it is raised, in the caller's task."""
    result = run_script(INTERRUPTED_IN_FLIGHT_SCRIPT, str(tmp_path))
    assert result.stdout.splitlines() == [
        "async raised KeyboardInterrupt('async')",
        "async 10 rows, wrong: []",
        "resumed raised SystemExit('resumed')",
        "resumed 10 rows, wrong: []",
        "stream raised KeyboardInterrupt('stream')",
        "stream 10 rows, wrong: []",
    ], result.stderr


CALLBACK_INTERRUPTS_SCRIPT = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from bulk_helpers import FAST, held_by_email, make_rows
from multimarkets import AsyncBridgeClient
from multimarkets.sandbox import Sandbox

rows, journal, seen = make_rows(12), sys.argv[2], []

def on_result(result):
    seen.append(result)
    if len(seen) == 5:
        raise KeyboardInterrupt("from on_result")

async def main(sb):
    async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        try:
            await client.customers.register_many(rows, concurrency=4, journal=journal, on_result=on_result)
        except KeyboardInterrupt as exc:
            print("raised", repr(exc), flush=True)
        report = await client.customers.register_many(rows, concurrency=4, journal=journal)
        held = held_by_email(sb)
        print(report.total, report.not_attempted + report.failed, len(held), max(map(len, held.values())), flush=True)

with Sandbox.in_thread(rate_limit=FAST, faults="latency=30ms..30ms") as sb:
    try:
        asyncio.run(main(sb))
    except KeyboardInterrupt as exc:
        print("escaped", repr(exc), flush=True)
"""


def test_on_result_raising_keyboardinterrupt_stops_the_run_in_the_callers_task(tmp_path: Path) -> None:
    """As any error of ``on_result`` does, it stops the run and is raised by ``register_many``: it escaped from the
    worker's task, past the caller's ``try``, and ended the event loop at once."""
    result = run_script(CALLBACK_INTERRUPTS_SCRIPT, str(tmp_path / "run.db"))
    assert result.stdout.splitlines() == ["raised KeyboardInterrupt('from on_result')", "12 0 12 1"], result.stderr
