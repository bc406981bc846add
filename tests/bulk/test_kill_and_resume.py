"""``multimarkets customers import`` killed with SIGKILL at several moments and resumed until done: the sandbox
holds each valid row exactly once, the report agrees row by row, and no 429 was served."""

from __future__ import annotations

import csv
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

from bulk_helpers import held_by_email, make_rows

from multimarkets import RateLimit
from multimarkets.sandbox import Sandbox

LIMIT = RateLimit(40, 1.0)
"""Scaled down from 100 per 60 s: a restart comes well within the window of the killed run's requests."""
PROGRESS = re.compile(r"registering: (\d+)/(\d+) rows")


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    columns = ["email", "phone", "password", "country", "register_source"]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def start_import(sandbox: Sandbox, tmp_path: Path) -> subprocess.Popen[str]:
    credentials = sandbox.credentials
    env = dict(
        os.environ,
        MULTIMARKETS_BASE_URL=sandbox.base_url,
        MULTIMARKETS_API_KEY=credentials.api_key,
        MULTIMARKETS_SECRET_KEY=credentials.secret_key,
        MULTIMARKETS_COMPANY_ID=credentials.company_id,
    )
    command = [sys.executable, "-m", "multimarkets.cli", "customers", "import", str(tmp_path / "customers.csv")]
    command += ["--journal", str(tmp_path / "run.db"), "--report", str(tmp_path / "report.csv")]
    command += ["--rate-limit", "40/1s", "--concurrency", "8", "--timeout", "0.5"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_until_progress(process: subprocess.Popen[str], target: int, rng: random.Random) -> bool:
    """Read the progress lines until ``target`` rows are done, then SIGKILL; False if it ended first."""
    assert process.stderr is not None
    for line in process.stderr:
        match = PROGRESS.search(line)
        if match and int(match.group(1)) >= target:
            try:
                # a random extra moment, so the kill lands anywhere: between calls, in a commit, mid-request
                process.wait(timeout=rng.uniform(0, 0.05))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True
            break
    process.wait()
    return False


def test_sigkill_at_random_moments_then_resume(tmp_path: Path) -> None:
    rng = random.Random(5)
    rows = [{k: str(v) for k, v in row.items()} for row in make_rows(120)]
    rows[10]["email"] = "not-an-e-mail"
    rows[20]["country"] = "CHINA"
    write_csv(tmp_path / "customers.csv", rows)
    faults = "addCustomer:error5xx=3%,addCustomer:reset_after_commit=3%,latency=5ms..25ms"
    with Sandbox.in_thread(rate_limit=LIMIT, seed=3, faults=faults) as sandbox:
        kills = 0
        for percent in (20, 45, 70, 90):
            with start_import(sandbox, tmp_path) as process:
                kills += run_until_progress(process, len(rows) * percent // 100, rng)
        final = start_import(sandbox, tmp_path)
        _, errors = final.communicate(timeout=60)
        stats = sandbox.stats()
        held = held_by_email(sandbox)

    assert kills >= 3, "the runs ended before they could be killed"
    assert final.returncode == 0, errors  # every row settled (two of them invalid), none failed
    assert stats["rate_limited"] == 0 and stats["banned"] == 0
    valid = [row for i, row in enumerate(rows) if i not in (10, 20)]
    assert sorted(held) == sorted(row["email"] for row in valid)
    assert all(len(numbers) == 1 for numbers in held.values())
    with (tmp_path / "report.csv").open(newline="", encoding="utf-8") as report_file:
        report = list(csv.DictReader(report_file))
    assert [int(r["row"]) for r in report] == list(range(1, 121))
    for i, line in enumerate(report):
        if i in (10, 20):
            assert line["outcome"] == "invalid" and line["attempts"] == "0"
            continue
        assert line["outcome"] in ("registered", "already_exists"), line
        assert held[line["email"]] == [line["customer_no"]], line
        if line["outcome"] == "already_exists":
            assert "probably ours" in line["message"], line
