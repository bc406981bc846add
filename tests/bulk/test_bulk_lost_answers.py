"""Rows whose registration may have gone through although no answer said so: the run looks them up in the
customer list instead of reporting them failed, the same run or the next one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from bulk_helpers import FAST, customers_csv, held_by_email, import_, make_rows, point_env_at

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import RowOutcome
from multimarkets.bulk.policy import PROBABLY_OURS
from multimarkets.sandbox import Sandbox


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_call_refused_after_its_lost_attempt_committed_is_reported_with_its_customer_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An attempt registers the customer and its answer is lost; the client's retry then meets a firewall's HTML
    # 403 (a final answer). The customer exists: the row must not read "failed".
    faults = "addCustomer:reset_after_commit=0.4,addCustomer:html403=0.3"
    source, report = customers_csv(tmp_path / "in.csv", 10), tmp_path / "out.csv"
    with Sandbox.in_thread(rate_limit=FAST, faults=faults, seed=3) as sb:
        point_env_at(sb, monkeypatch)
        import_(str(source), "--journal", str(tmp_path / "run.db"), "--report", str(report), "--concurrency", "1")
        held = held_by_email(sb)
    rows = read_report(report)
    assert len(rows) == 10
    for row in rows:
        if row["email"] in held:  # every customer the service holds is reported as such, with its number
            assert row["outcome"] in ("registered", "already_exists"), row
            assert held[row["email"]] == [row["customer_no"]], row
        else:
            assert row["outcome"] == "failed" and row["code"] == "HTTP 403", row
    # the case at hand occurred: one call, its answer lost, then refused; the row reads "probably ours"
    refused_after_loss = [r for r in rows if r["message"] == PROBABLY_OURS and r["attempts"] == "1"]
    assert refused_after_loss, rows


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [("error5xx", RowOutcome.REGISTERED), ("reset_after_commit", RowOutcome.ALREADY_EXISTS)],
)
@pytest.mark.anyio
async def test_the_run_after_a_failed_reconcile_pass_settles_every_row(
    fault: str, outcome: RowOutcome, tmp_path: Path
) -> None:
    # Each call fails without an answer (a 5xx: not registered; a reset after the commit: registered), and so
    # does the reconcile pass. The next run, the service well again, looks the rows up and sends those it did
    # not find: every row settles in that one run.
    rows, journal = make_rows(2), tmp_path / "run.db"
    async with Sandbox(rate_limit=FAST, faults=f"addCustomer:{fault}=1,page:error5xx=1") as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, max_retries=0) as client:
            first = await client.customers.register_many(rows, journal=journal, row_retries=0)
            sb.set_faults(None)
            resumed = await client.customers.register_many(rows, journal=journal)
        held = held_by_email(sb)
    assert (first.failed, first.registered) == (2, 0)
    assert resumed.complete and resumed.ok and resumed.failed == 0
    assert len(held) == 2 and {r.email: [r.customer_no] for r in resumed.rows()} == held
    assert all(r.outcome is outcome for r in resumed.rows())
    assert resumed.probably_ours == (2 if outcome is RowOutcome.ALREADY_EXISTS else 0)
