"""A shared limit store that is down stops an import before anything is sent; the rows stay to be sent by the
next run, once the store works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bulk_helpers import FAST, customers_csv, held_by_email, import_, point_env_at

from multimarkets.limits import ENV_VAR
from multimarkets.sandbox import Sandbox


def test_an_unavailable_limit_store_stops_the_run_and_the_next_run_sends_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source, journal, report = customers_csv(tmp_path / "in.csv", 3), str(tmp_path / "run.db"), tmp_path / "out.json"
    with Sandbox.in_thread(rate_limit=FAST) as sb:
        point_env_at(sb, monkeypatch)
        monkeypatch.setenv(ENV_VAR, "redis://127.0.0.1:1/0")  # nothing listens on port 1: every connection refused
        assert import_(str(source), "--journal", journal, "--report", str(report), "--timeout", "1") == 2
        stopped = json.loads(report.read_text(encoding="utf-8"))
        assert sb.stats()["requests"] == 0
        assert f"run the same command to resume from {journal}" in capsys.readouterr().err

        monkeypatch.delenv(ENV_VAR)  # the store works again (here: the process's own)
        assert import_(str(source), "--journal", journal, "--report", str(report)) == 0
        resumed = json.loads(report.read_text(encoding="utf-8"))
        held = held_by_email(sb)
    assert stopped["summary"]["stopped_by"]["error"] == "LimitStoreError"
    assert [row["outcome"] for row in stopped["rows"]] == ["not_attempted"] * 3
    assert all("not sent" in row["message"] for row in stopped["rows"])
    assert (resumed["summary"]["registered"], resumed["summary"]["calls"]) == (3, 3)
    assert {row["email"]: [row["customer_no"]] for row in resumed["rows"]} == held
