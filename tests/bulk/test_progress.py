"""The CLI's progress line after a resume: rate and ETA count only the rows this run worked on."""

from __future__ import annotations

import io
import types
from pathlib import Path

import pytest
from bulk_helpers import make_rows

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import RowResult
from multimarkets.cli import _progress
from multimarkets.cli._progress import BulkProgress

pytestmark = pytest.mark.anyio


async def test_rate_and_eta_after_a_resume_leave_out_rows_settled_by_earlier_runs(
    client: AsyncBridgeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "run.db"
    await client.customers.register_many(make_rows(8), journal=journal)

    now = [100.0]
    monkeypatch.setattr(_progress, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    out = io.StringIO()
    seen: list[RowResult] = []
    with BulkProgress(10, stream=out) as progress:

        def on_result(result: RowResult) -> None:
            seen.append(result)
            if not result.resumed:
                now[0] += 1.0  # each row this run works on takes one (fake) second
            progress(result)

        report = await client.customers.register_many(make_rows(10), journal=journal, on_result=on_result)

    assert report.resumed == 8
    assert [r.resumed for r in sorted(seen, key=lambda r: r.row)] == [True] * 8 + [False] * 2
    lines = out.getvalue().splitlines()
    ninth = next(line for line in lines if "9/10 rows" in line)
    assert "1.0 rows/s" in ninth and "ETA 0:00:01" in ninth, ninth
    assert "10/10 rows (100%) · 1.0 rows/s" in lines[-1], lines[-1]
    assert "ETA" not in lines[-1]
