"""A run whose requests go nowhere the service answers (a wrong base URL path, a host that refuses connections)
stops at its first rows, leaving the rest to resume once fixed; the same error after the service answered is an
outage, and fails only its row."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bulk_helpers import FAST, customers_csv, import_, make_rows, point_env_at

from multimarkets import AsyncBridgeClient
from multimarkets.sandbox import Sandbox


def test_a_base_url_without_the_service_path_stops_the_run_and_says_what_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source, report = customers_csv(tmp_path / "in.csv", 30), tmp_path / "out.json"
    with Sandbox.in_thread(rate_limit=FAST) as sb:
        point_env_at(sb, monkeypatch)
        wrong = sb.base_url.removesuffix("/webhook")  # the path left out
        code = import_(str(source), "--base-url", wrong, "--concurrency", "2", "--report", str(report))
        assert sb.stats()["customers"] == 0
    assert code == 2
    summary, rows = json.loads(report.read_text(encoding="utf-8")).values()
    assert summary["stopped_by"]["error"] == "ResponseFormatError"
    assert summary["calls"] <= 2  # the rows in flight when the first answer came; not one call per row
    assert [row["outcome"] for row in rows] == ["not_attempted"] * 30
    assert f"nothing at {wrong} takes the service's requests (HTTP 404" in capsys.readouterr().err


def test_a_host_that_refuses_every_connection_stops_the_run_after_one_row_gave_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source, journal = customers_csv(tmp_path / "in.csv", 20), str(tmp_path / "run.db")
    with Sandbox.in_thread(rate_limit=FAST) as sb:
        point_env_at(sb, monkeypatch)
    # nothing listens on port 1: every connection is refused
    code = import_(str(source), "--base-url", "http://127.0.0.1:1/webhook", "--concurrency", "1", "--journal", journal)
    captured = capsys.readouterr()
    errors = captured.out + captured.err
    assert code == 2
    assert "not attempted       20" in errors
    assert "registration calls  4" in errors  # one row's calls (its retries included), then the run stopped
    assert "no connection to http://127.0.0.1:1/webhook could be made: check the host and port" in errors


@pytest.mark.anyio
async def test_after_the_service_answered_a_refused_connection_fails_its_row_alone(tmp_path: Path) -> None:
    # The service goes away after the first two rows: an outage, not a wrong address, so the run goes on.
    sandbox = Sandbox(rate_limit=FAST)

    async def rows() -> AsyncIterator[dict[str, Any]]:
        for position, row in enumerate(make_rows(6)):
            if position == 2:  # one worker: the first two rows settled
                await sandbox.stop()
            yield row

    async with (
        sandbox as sb,
        AsyncBridgeClient(
            sb.credentials,
            sb.base_url,
            rate_limit=None,
            max_retries=0,
            connector_factory=lambda: aiohttp.TCPConnector(force_close=True),  # a new connection per request
        ) as client,
    ):
        report = await client.customers.register_many(rows(), concurrency=1, row_retries=0)
    assert report.stopped_by is None
    assert (report.registered, report.failed, report.not_attempted) == (2, 4, 0)
