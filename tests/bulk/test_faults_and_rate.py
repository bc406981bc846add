"""Faults, lost answers and the rate ceiling: every valid row ends registered exactly once, and no 429."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import AsyncBridgeClient, RateLimit
from multimarkets.bulk import RowOutcome, RowResult
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

FAULT_MIX = (
    "addCustomer:error5xx=6%,addCustomer:reset_before=4%,addCustomer:reset_after_commit=8%,"
    "addCustomer:bad_json=4%,addCustomer:slow_body=4%,page:error5xx=20%"
)


async def test_fault_mix_registers_every_row_exactly_once(tmp_path: Path) -> None:
    rows = make_rows(80)
    rows.append(dict(rows[3], password="another"))  # a duplicate in the input itself
    sandbox = Sandbox(rate_limit=FAST, seed=11, faults=FAULT_MIX)
    async with sandbox as sb:
        # slow_body stalls far past the client's timeout (until the sandbox stops): a client timeout after the
        # server registered the customer; any other answer arrives well within the timeout even under load
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, timeout=2.0) as client:
            report = await client.customers.register_many(rows, concurrency=8, journal=tmp_path / "run.db")
        stats = sb.stats()
        held = held_by_email(sb)
    faults = {name: stats[f"fault_{name}"] for name in ("error5xx", "reset_before", "reset_after_commit", "slow_body")}
    assert all(faults.values()), faults  # every fault kind struck at least once
    assert report.complete and report.failed == 0 and report.invalid == 0 and report.total == 81
    assert len(held) == 80 and all(len(numbers) == 1 for numbers in held.values())
    results = list(report.rows())
    assert {r.email: [r.customer_no] for r in results} == held  # the report agrees with the sandbox, row by row
    assert all(r.outcome in (RowOutcome.REGISTERED, RowOutcome.ALREADY_EXISTS) for r in results)
    # answers lost after the commit come back as "already exists", most likely registered by us
    assert report.probably_ours >= 1
    assert any(r.probably_ours and r.attempts >= 1 for r in results)
    assert stats["rate_limited"] == 0


async def test_interrupted_run_resumes_without_double_registration(tmp_path: Path) -> None:
    rows = make_rows(60)
    journal = tmp_path / "run.db"
    async with Sandbox(rate_limit=FAST, latency="2ms..10ms") as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
            seen: list[RowResult] = []
            with anyio.CancelScope() as scope:

                def stop_after_twenty(result: RowResult) -> None:
                    seen.append(result)
                    if len(seen) == 20:
                        scope.cancel()

                await client.customers.register_many(rows, concurrency=8, journal=journal, on_result=stop_after_twenty)
            assert scope.cancelled_caught and len(seen) >= 20
            report = await client.customers.register_many(rows, concurrency=8, journal=journal)
        held = held_by_email(sb)
    assert report.ok and report.total == 60 and report.resumed >= 20
    assert len(held) == 60 and all(len(numbers) == 1 for numbers in held.values())
    assert {r.email: [r.customer_no] for r in report.rows()} == held
    # rows that were in flight at the interruption were retried: any already registered says "probably ours"
    assert report.already_exists == report.probably_ours


async def test_runs_at_the_rate_ceiling_without_a_429() -> None:
    # How close to the ceiling it runs is a speed figure: benchmarks/bulk.py measures it side by side.
    limit = RateLimit(50, 0.5)
    rows = make_rows(200)
    async with Sandbox(rate_limit=limit) as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=limit) as client:
            report = await client.customers.register_many(rows, concurrency=16)
        stats = sb.stats()
    assert report.registered == 200
    assert stats["rate_limited"] == 0 and stats["banned"] == 0


async def test_a_429_from_another_user_of_the_key_pauses_the_run() -> None:
    limit = RateLimit(20, 1.0)
    async with Sandbox(rate_limit=limit, ban="60s") as sb:
        # "localhost" makes a separate limiter for the same key: another process spending the same allowance
        other_url = sb.base_url.replace("127.0.0.1", "localhost")
        async with AsyncBridgeClient(sb.credentials, other_url, rate_limit=limit) as other:
            await other.customers.register_many(make_rows(20, start=500), concurrency=4)
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=limit) as client:
            report = await client.customers.register_many(make_rows(10), concurrency=1)
        stats = sb.stats()
    assert report.ok and report.registered == 10
    assert stats["rate_limited"] >= 1 and stats["banned"] == 0
