"""Bulk registration over the Manager API, through the sandbox: stopped part-way and resumed from its journal."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

import pytest

from multimarkets import AuthenticationError, CustomerRegistration, RowOutcome, ValidationError
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

ROWS = [
    CustomerRegistration(country="GB", register_source=3, email=f"c{i}@example.com", password="pw") for i in range(12)
]


async def test_a_run_stopped_part_way_resumes_with_nobody_lost_or_twice(
    sandboxed: AsyncManagerClient, tmp_path: Path
) -> None:
    journal = tmp_path / "run.sqlite"
    first = []
    results = sandboxed.customers.stream_register(ROWS, accounts={1: "USDT"}, journal=journal, concurrency=4)
    async with aclosing(results):
        async for result in results:
            first.append(result)
            if len(first) == 5:
                break  # the run is abandoned with rows in flight
    report = await sandboxed.customers.register_many(ROWS, accounts={1: "USDT"}, journal=journal, concurrency=4)
    assert report.complete
    assert report.registered + report.already_exists == len(ROWS)
    page = await sandboxed.customers.list(size=100)
    assert page.total == len(ROWS)
    assert sorted(c.email for c in page.items) == sorted(r.email for r in ROWS)
    (account,) = await sandboxed.accounts.list(page.items[0].customer_no, 1)
    assert account.currency == "USDT"
    assert all(r.outcome is RowOutcome.REGISTERED for r in first)


async def test_a_run_needs_accounts(sandboxed: AsyncManagerClient) -> None:
    with pytest.raises(ValidationError, match="accounts"):
        await sandboxed.customers.register_many(ROWS, accounts={})


async def test_a_wrong_app_secret_stops_the_run_instead_of_failing_every_row(sandbox: Sandbox) -> None:
    given = sandbox.manager_credentials
    credentials = ManagerCredentials(given.app_id, "not-the-secret")
    async with AsyncManagerClient(credentials, given.base_url, trust_env=False) as client:
        with pytest.raises(AuthenticationError):
            await client.customers.list()
        report = await client.customers.register_many(ROWS, accounts={1: "USDT"}, concurrency=2)
    assert isinstance(report.stopped_by, AuthenticationError)
    assert report.failed == 0
    assert report.not_attempted == len(ROWS)
