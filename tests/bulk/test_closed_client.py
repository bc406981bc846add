"""A bulk run on a client that is closed, before the run or half-way, stops like a run stopped by a ban: the
rows not sent are ``not_attempted`` and ``stopped_by`` is the ``ClientClosedError``; resuming the journal on an
open client registers each of them exactly once. Both clients, against the sandbox over loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_helpers import FAST, make_rows

from multimarkets import AsyncBridgeClient, ClientClosedError, RateLimit
from multimarkets.bulk import BulkReport, RowOutcome, RowResult
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio

ROWS = 10


def bridge(sb: Sandbox, **options: Any) -> AsyncBridgeClient:
    return AsyncBridgeClient(sb.credentials, sb.base_url, trust_env=False, **options)


def manager(sb: Sandbox, **options: Any) -> AsyncManagerClient:
    given = sb.manager_credentials
    return AsyncManagerClient(ManagerCredentials(given.app_id, given.app_secret), given.base_url, **options)


async def register(client: Any, journal: Path, **options: Any) -> BulkReport:
    extra = {"accounts": {1: "USDT"}} if isinstance(client, AsyncManagerClient) else {}
    report: BulkReport = await client.customers.register_many(make_rows(ROWS), journal=journal, **extra, **options)
    return report


def assert_stopped_by_the_close(report: BulkReport, sent: int) -> None:
    assert isinstance(report.stopped_by, ClientClosedError)
    assert (report.registered, report.not_attempted, report.failed, report.total) == (sent, ROWS - sent, 0, ROWS)
    stopped = [r for r in report.rows() if r.outcome is RowOutcome.NOT_ATTEMPTED]
    assert all(r.code == "ClientClosedError" for r in stopped)


async def resume_and_check(sb: Sandbox, make: Any, journal: Path, sent: int) -> None:
    async with make(sb, rate_limit=None) as client:
        resumed = await register(client, journal)
        held = (await client.customers.list(size=100)).items
    assert resumed.stopped_by is None and resumed.ok
    assert (resumed.registered, resumed.resumed, resumed.calls) == (ROWS, sent, ROWS - sent)
    assert sorted(c.email for c in held) == sorted(r["email"] for r in make_rows(ROWS))  # each once


@pytest.mark.parametrize("make", [bridge, manager])
async def test_a_run_on_a_closed_client_stops_and_resumes(make: Any, tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    async with Sandbox(rate_limit=FAST) as sb:
        client = make(sb, rate_limit=None)
        await client.aclose()
        report = await register(client, journal)
        assert_stopped_by_the_close(report, 0)
        await resume_and_check(sb, make, journal, 0)


@pytest.mark.parametrize("make", [bridge, manager])
async def test_a_run_closed_half_way_stops_and_resumes(make: Any, tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    sent = 3
    async with Sandbox(rate_limit=FAST) as sb:
        # Three registrations a minute: the fourth row waits for a slot until the client closes.
        client = make(sb, rate_limit=RateLimit(sent, 60.0))
        settled = anyio.Event()

        def on_result(result: RowResult) -> None:
            if result.outcome is RowOutcome.REGISTERED and result.row == sent:
                settled.set()

        reports: list[BulkReport] = []

        async def run() -> None:
            reports.append(await register(client, journal, on_result=on_result, concurrency=1))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run)
                await settled.wait()
                await client.aclose()
        assert_stopped_by_the_close(reports[0], sent)
        await resume_and_check(sb, make, journal, sent)


async def test_a_row_in_flight_when_the_client_closes_is_probably_ours_on_resume(tmp_path: Path) -> None:
    entered, release, registered = anyio.Event(), anyio.Event(), anyio.Event()

    async def held_first(ctx: RequestContext, body: dict[str, Any]) -> Any:
        first = not entered.is_set()
        entered.set()
        if first:
            await release.wait()  # the client closes meanwhile; the service still registers the row
        answer = await HANDLERS[ADD_CUSTOMER](ctx, body)
        if first:
            registered.set()
        return answer

    journal = tmp_path / "run.db"
    async with Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: held_first}) as sb:
        client = bridge(sb, rate_limit=None)
        reports: list[BulkReport] = []

        async def run() -> None:
            reports.append(await register(client, journal, concurrency=1))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run)
                await entered.wait()
                await client.aclose()
            release.set()
            await registered.wait()
        assert_stopped_by_the_close(reports[0], 0)
        assert (next(reports[0].rows()).message or "").startswith("maybe sent (an answer was lost): the run stopped")
        async with bridge(sb, rate_limit=None) as reopened:
            resumed = await register(reopened, journal)
    first = next(resumed.rows())
    assert (first.outcome, first.probably_ours, resumed.registered) == (RowOutcome.ALREADY_EXISTS, True, ROWS - 1)
    assert first.customer_no is not None
