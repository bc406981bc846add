"""Every per-row outcome of a bulk run, against the sandbox over loopback."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import (
    AsyncBridgeClient,
    ConfigurationError,
    CustomerRegistration,
    PermissionDeniedError,
    SignatureError,
)
from multimarkets.bulk import MAX_CONCURRENCY, BulkReport, JournalError, RowOutcome, RowResult
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import BizError, RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio

SUSPENDED = "USCUSTOMER_API_0000111"
# The client's timeout in the lost-answer tests: a normal answer needs a small fraction of it even on a loaded
# machine, so only the attempt the handler holds back times out.
TIMEOUT = 2.0
STALL = 60.0  # bounds the held-back attempt if the client never sends again (the test then fails, not hangs)


async def refuse_blocked(ctx: RequestContext, body: dict[str, Any]) -> Any:
    """A registration handler that refuses e-mails at blocked.example with a business error."""
    if str(body.get("email", "")).endswith("@blocked.example"):
        raise BizError(SUSPENDED, "Company does not exist or has been suspended")
    return await HANDLERS[ADD_CUSTOMER](ctx, body)


async def test_every_outcome_but_not_attempted(tmp_path: Path) -> None:
    sandbox = Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: refuse_blocked})
    async with sandbox as sb, AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        existing = await client.customers.register(
            email="taken@example.com", password="x", country="CN", register_source=1
        )
        rows: list[Any] = make_rows(5)
        rows.append({"email": "taken@example.com", "password": "y", "country": "CN", "register_source": "H5"})
        rows.append({"email": "no-at-sign", "password": "y", "country": "CN", "register_source": "H5"})
        rows.append({"email": "someone@blocked.example", "password": "y", "country": "CN", "register_source": 1})
        rows.append(CustomerRegistration(phone="13312345678", password_md5="0" * 32, country="SG", register_source=5))
        requests_before = sb.stats()["requests"]
        seen: list[RowResult] = []
        report = await client.customers.register_many(rows, journal=tmp_path / "run.db", on_result=seen.append)
        stats = sb.stats()
        held = held_by_email(sb)

    assert (report.total, report.registered, report.already_exists, report.invalid, report.failed) == (9, 6, 1, 1, 1)
    assert report.not_attempted == 0 and report.probably_ours == 0 and report.stopped_by is None
    assert report.complete and not report.ok  # one row failed
    # the invalid row was never sent; the reconcile pass walked the list once (one page)
    assert stats["requests"] - requests_before == 8 + 1
    results = list(report.rows())
    assert [r.row for r in results] == list(range(1, 10))
    assert sorted(seen, key=lambda r: r.row) == results
    by_row = {r.row: r for r in results}
    for row in range(1, 6):
        result = by_row[row]
        assert result.outcome is RowOutcome.REGISTERED and result.attempts == 1
        assert held[result.email or ""] == [result.customer_no]
    exists = by_row[6]
    assert exists.outcome is RowOutcome.ALREADY_EXISTS and exists.customer_no == existing
    assert exists.code == "USCUSTOMER_API_0000107" and not exists.probably_ours
    invalid = by_row[7]
    assert (invalid.outcome, invalid.code, invalid.attempts, invalid.customer_no) == (
        RowOutcome.INVALID,
        "email",
        0,
        None,
    )
    failed = by_row[8]
    assert (failed.outcome, failed.code, failed.attempts) == (RowOutcome.FAILED, SUSPENDED, 1)
    assert failed.message == "Company does not exist or has been suspended"
    # the refused calls' trace ids, to quote to support (a registered row has its customer number instead)
    assert failed.trace and exists.trace and failed.trace != exists.trace and by_row[1].trace is None
    assert by_row[9].outcome is RowOutcome.REGISTERED and by_row[9].phone == "13312345678"


async def test_fatal_error_stops_the_run_and_resume_finishes_it(tmp_path: Path) -> None:
    allowed = {"calls": 4}

    async def permission_runs_out(ctx: RequestContext, body: dict[str, Any]) -> Any:
        if allowed["calls"] <= 0:
            raise BizError("00012004", "No permission for the current API request")
        allowed["calls"] -= 1
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    rows = make_rows(30)
    journal = tmp_path / "run.db"
    sandbox = Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: permission_runs_out})
    async with sandbox as sb, AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        report = await client.customers.register_many(rows, concurrency=2, journal=journal)
        assert isinstance(report.stopped_by, PermissionDeniedError)
        assert report.registered == 4 and report.not_attempted == 26 and report.total == 30
        assert not report.complete
        stopped = [r for r in report.rows() if r.outcome is RowOutcome.NOT_ATTEMPTED]
        assert all(r.code == "00012004" and "stopped" in (r.message or "") for r in stopped)

        allowed["calls"] = 1000  # the operator granted the permission again
        resumed = await client.customers.register_many(rows, concurrency=2, journal=journal)
        held = held_by_email(sb)
    assert resumed.stopped_by is None and resumed.ok
    assert (resumed.registered, resumed.resumed, resumed.calls) == (30, 4, 26)
    assert len(held) == 30 and all(len(numbers) == 1 for numbers in held.values())
    assert {r.email: [r.customer_no] for r in resumed.rows()} == held


async def test_bad_signature_marks_every_row_not_attempted(sandbox: Sandbox) -> None:
    async with Sandbox(rate_limit=FAST) as other:
        # the right API key signed with another key's secret: the service rejects the signature
        wrong = type(sandbox.credentials)(
            sandbox.credentials.api_key, other.credentials.secret_key, sandbox.credentials.company_id
        )
    async with AsyncBridgeClient(wrong, sandbox.base_url, rate_limit=None) as client:
        report = await client.customers.register_many(make_rows(12), concurrency=3)
    assert isinstance(report.stopped_by, SignatureError)
    assert (report.not_attempted, report.registered, report.total) == (12, 0, 12)
    assert sandbox.stats()["customers"] == 0
    assert report.journal is None
    with pytest.raises(Exception, match="no journal"):
        report.rows()


async def test_stream_register_yields_one_result_per_row(client: AsyncBridgeClient, sandbox: Sandbox) -> None:
    await client.customers.register(email="user00003@example.com", password="x", country="CN", register_source=1)

    async def rows() -> Any:
        for row in make_rows(20, phones=False):
            yield CustomerRegistration.from_mapping(row)

    results = [r async for r in client.customers.stream_register(rows(), concurrency=4)]
    assert sorted(r.row for r in results) == list(range(1, 21))
    # already_exists rows come last, after the reconcile pass gave them their customer number
    assert results[-1].outcome is RowOutcome.ALREADY_EXISTS and results[-1].customer_no is not None
    held = held_by_email(sandbox)
    assert all(held[r.email or ""] == [r.customer_no] for r in results)


async def test_stopping_a_stream_early_cancels_cleanly(client: AsyncBridgeClient, tmp_path: Path) -> None:
    stream = client.customers.stream_register(make_rows(40), concurrency=4, journal=tmp_path / "run.db")
    taken = []
    async for result in stream:
        taken.append(result)
        if len(taken) == 5:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    # the journal was released: a second run on it may start, and settles the rest
    report = await client.customers.register_many(make_rows(40), journal=tmp_path / "run.db")
    assert report.registered + report.already_exists == 40 and report.failed == 0


async def test_input_is_read_lazily(client: AsyncBridgeClient) -> None:
    pulled = 0
    gaps = []

    def rows() -> Any:
        nonlocal pulled
        for row in make_rows(150):
            pulled += 1
            yield row

    def on_result(result: RowResult) -> None:
        gaps.append(pulled - result.row)

    report = await client.customers.register_many(rows(), concurrency=4, on_result=on_result)
    assert report.registered == 150
    # read ahead never goes beyond what the workers and their queue hold
    assert max(gaps) <= 2 * 4 + 2


async def test_another_input_is_refused_on_resume(client: AsyncBridgeClient, tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    await client.customers.register_many(make_rows(5), journal=journal)
    with pytest.raises(JournalError, match="row 1 of the input differs"):
        await client.customers.register_many(make_rows(5, start=100), journal=journal)


async def test_a_journal_in_use_is_refused(client: AsyncBridgeClient, tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    started = anyio.Event()

    def on_result(result: RowResult) -> None:
        started.set()

    async def first() -> BulkReport:
        return await client.customers.register_many(make_rows(300), journal=journal, on_result=on_result)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(first)
        await started.wait()
        with pytest.raises(JournalError, match="in use"):
            await client.customers.register_many(make_rows(300), journal=journal)


async def test_not_a_journal_is_refused(client: AsyncBridgeClient, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("these are not the rows you are looking for\n" * 100)
    with pytest.raises(JournalError):
        await client.customers.register_many(make_rows(1), journal=bogus)


async def test_bad_options_are_refused(client: AsyncBridgeClient) -> None:
    with pytest.raises(Exception, match="concurrency"):
        await client.customers.register_many(make_rows(1), concurrency=0)
    with pytest.raises(Exception, match="row_retries"):
        await client.customers.register_many(make_rows(1), row_retries=-1)


@pytest.mark.parametrize("concurrency", [0, MAX_CONCURRENCY + 1, 10_000_000, True, 8.0])
async def test_a_concurrency_past_the_maximum_is_refused_before_anything_is_sent(
    sandbox: Sandbox, client: AsyncBridgeClient, concurrency: Any
) -> None:
    """10,000,000 workers for one row hung the run (3 GB) while it started them; every one past the connector's
    100 connections would only have waited."""
    message = rf"^concurrency must be a whole number from 1 to {MAX_CONCURRENCY}$"
    with pytest.raises(ConfigurationError, match=message):
        await client.customers.register_many(make_rows(1), concurrency=concurrency)
    with pytest.raises(ConfigurationError, match=message):
        async for _ in client.customers.stream_register(make_rows(1), concurrency=concurrency):
            pass
    assert sandbox.stats()["requests"] == 0
    report = await client.customers.register_many(make_rows(1), concurrency=MAX_CONCURRENCY)
    assert report.registered == 1


def a_row_and_its_duplicate() -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Two rows with the same phone (remarks "first" and "second"), and a registration handler that loses the
    answer to the first attempt of the first row without registering it."""
    original = {"phone": "13900000001", "password": "pw", "country": "CN", "register_source": 1, "remark": "first"}
    duplicate = {**original, "password": "other", "remark": "second"}
    answered = anyio.Event()
    next_request = anyio.Event()

    async def lose_the_first_answer(ctx: RequestContext, body: dict[str, Any]) -> Any:
        if body.get("remark") == "first" and not answered.is_set():
            answered.set()
            # Unanswered until the client sends its next registration, which it does only once it has given up
            # on this one (rows sharing a key take turns): it cannot know this attempt was not processed. Ending
            # on the client's own move, not after a fixed time, keeps a loaded machine from reordering the two.
            with anyio.move_on_after(STALL):
                await next_request.wait()
            raise BizError("G500", "too late")
        next_request.set()
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    return original, duplicate, lose_the_first_answer


async def test_the_earliest_of_duplicate_rows_wins_even_after_a_lost_answer(tmp_path: Path) -> None:
    # Before rows sharing a key took turns, the duplicate was sent while the first row's answer was lost and
    # registered the customer with its own password and remark; the first row ended "registered by row 2".
    original, duplicate, handler = a_row_and_its_duplicate()
    async with Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: handler}) as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, timeout=TIMEOUT, max_retries=0) as c:
            report = await c.customers.register_many(
                [original, duplicate], concurrency=4, row_retries=1, journal=tmp_path / "j.db"
            )
        [held] = sb.customers()
    first, second = report.rows()
    assert held["remark"] == "first"
    assert (first.outcome, first.customer_no, first.attempts) == (RowOutcome.REGISTERED, held["customer_no"], 2)
    assert (second.outcome, second.customer_no) == (RowOutcome.ALREADY_EXISTS, held["customer_no"])
    # the duplicate's own only attempt was answered: the service's word, not "probably ours", nor a twin
    assert second.attempts == 1 and not second.probably_ours
    assert second.message and "row" not in second.message and "probably ours" not in second.message


@pytest.mark.parametrize("kept", ["in a journal file", "in memory"])
async def test_a_duplicate_row_registered_after_the_first_failed_is_named_instead_of_blaming_a_lost_attempt(
    tmp_path: Path, kept: str
) -> None:
    original, duplicate, handler = a_row_and_its_duplicate()
    journal = tmp_path / "j.db" if kept == "in a journal file" else None
    seen: list[RowResult] = []
    async with Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: handler}) as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, timeout=TIMEOUT, max_retries=0) as c:
            await c.customers.register_many(
                [original, duplicate], concurrency=4, row_retries=0, journal=journal, on_result=seen.append
            )
        [held] = sb.customers()
    first, second = sorted(seen, key=lambda result: result.row)
    # the first row gave up (no retries left), so the duplicate went ahead and registered
    assert held["remark"] == "second"
    assert (second.outcome, second.customer_no) == (RowOutcome.REGISTERED, held["customer_no"])
    assert first.outcome is RowOutcome.ALREADY_EXISTS
    assert first.customer_no == held["customer_no"]
    assert not first.probably_ours
    assert first.message == "registered by row 2 of this input"


async def test_rows_sharing_keys_take_turns_without_stalling_the_run(client: AsyncBridgeClient, tmp_path: Path) -> None:
    rows: list[Any] = make_rows(12)
    for i in range(1, 12, 2):
        rows[i]["email"] = rows[0]["email"].upper()  # every other row repeats row 1's e-mail (case aside)
    rows[11]["phone"] = rows[10]["phone"]  # and one repeats its neighbour's phone
    with anyio.fail_after(10):
        report = await client.customers.register_many(rows, concurrency=8, journal=tmp_path / "j.db")
    outcomes = [r.outcome for r in report.rows()]
    assert outcomes[0] is RowOutcome.REGISTERED
    assert all(outcomes[i] is RowOutcome.ALREADY_EXISTS for i in range(1, 12, 2))
    assert all(outcomes[i] is RowOutcome.REGISTERED for i in range(2, 12, 2))
    assert all(r.attempts == 1 for r in report.rows())


async def test_without_a_journal_nothing_is_written_to_disk(
    client: AsyncBridgeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a temporary journal would go
    monkeypatch.chdir(tmp_path)
    rows = make_rows(30)
    rows.append(dict(rows[2], password="another"))  # already exists: settled by the reconcile pass, in memory
    seen: list[list[str]] = []
    report = await client.customers.register_many(rows, on_result=lambda _: seen.append(os.listdir(tmp_path)))
    assert (report.registered, report.already_exists, report.journal) == (30, 1, None)
    assert seen and all(files == [] for files in seen) and os.listdir(tmp_path) == []
    # As the README says: the report holds the counts; each row's result came through on_result.
    assert len(seen) == len(rows)
    with pytest.raises(ConfigurationError, match="no journal file"):
        report.rows()
