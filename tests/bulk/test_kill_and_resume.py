"""``multimarkets customers import`` killed with SIGKILL at several moments and resumed until done: the sandbox
holds each valid row exactly once, the report agrees row by row, and no 429 was served. The same for
``register_many`` without a rate limit, where new rows' calls are noted a chunk ahead of the workers. And a Ctrl-C
of an import without a journal of its own."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from bulk_helpers import held_by_email, make_rows

from multimarkets import RateLimit
from multimarkets.bulk import read_results
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


def sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    """The environment of a child process that reads its service and credentials from it."""
    credentials = sandbox.credentials
    return dict(
        os.environ,
        MULTIMARKETS_BASE_URL=sandbox.base_url,
        MULTIMARKETS_API_KEY=credentials.api_key,
        MULTIMARKETS_SECRET_KEY=credentials.secret_key,
        MULTIMARKETS_COMPANY_ID=credentials.company_id,
    )


def start_import(sandbox: Sandbox, tmp_path: Path) -> subprocess.Popen[str]:
    env = sandbox_env(sandbox)
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


UNLIMITED_RUN = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from multimarkets import AsyncBridgeClient, Credentials

    async def main():
        env = os.environ
        credentials = Credentials(
            env["MULTIMARKETS_API_KEY"], env["MULTIMARKETS_SECRET_KEY"], env["MULTIMARKETS_COMPANY_ID"]
        )
        rows = json.loads(env["ROWS"])
        async with AsyncBridgeClient(credentials, env["MULTIMARKETS_BASE_URL"], rate_limit=None, timeout=0.5) as client:
            done = 0
            def progress(result):
                nonlocal done
                done += 1
                print(f"registering: {done}/{len(rows)} rows", file=sys.stderr, flush=True)
            await client.customers.register_many(
                rows, journal=os.environ["JOURNAL"], concurrency=8, on_result=progress
            )

    asyncio.run(main())
    """
)


def start_unlimited_run(sandbox: Sandbox, rows: list[dict[str, str]], journal: Path) -> subprocess.Popen[str]:
    env = dict(sandbox_env(sandbox), ROWS=json.dumps(rows), JOURNAL=str(journal))
    command = [sys.executable, "-c", UNLIMITED_RUN]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_sigkill_of_a_run_without_rate_limit_then_resume(tmp_path: Path) -> None:
    rng = random.Random(7)
    rows = [{k: str(v) for k, v in row.items()} for row in make_rows(400)]
    rows[30]["email"] = "not-an-e-mail"
    faults = "addCustomer:error5xx=3%,addCustomer:reset_after_commit=3%,latency=1ms..5ms"
    journal = tmp_path / "run.db"
    with Sandbox.in_thread(rate_limit=RateLimit(100_000, 1.0), seed=4, faults=faults) as sandbox:
        kills = 0
        for percent in (15, 40, 65, 85):
            with start_unlimited_run(sandbox, rows, journal) as process:
                kills += run_until_progress(process, len(rows) * percent // 100, rng)
        final = start_unlimited_run(sandbox, rows, journal)
        _, errors = final.communicate(timeout=60)
        held = held_by_email(sandbox)

    assert kills >= 3, "the runs ended before they could be killed"
    assert final.returncode == 0, errors
    valid = [row for i, row in enumerate(rows) if i != 30]
    assert sorted(held) == sorted(row["email"] for row in valid)
    assert all(len(numbers) == 1 for numbers in held.values())
    results = list(read_results(journal))
    assert [result.row for result in results] == list(range(1, 401))
    for result in results:
        if result.row == 31:
            assert result.outcome.value == "invalid" and result.attempts == 0
            continue
        assert result.outcome.value in ("registered", "already_exists"), result
        assert held[result.email] == [result.customer_no], result
        if result.outcome.value == "already_exists":
            assert result.probably_ours, result


def test_ctrl_c_without_a_journal_keeps_the_scratch_one_and_names_it(tmp_path: Path) -> None:
    """With ``--report`` and no ``--journal``, the run's scratch journal is its only record of the rows sent: a
    Ctrl-C keeps it (the report is written only at the end) and names it, to resume with ``--journal``."""
    rows = [{k: str(v) for k, v in row.items()} for row in make_rows(60)]
    write_csv(tmp_path / "customers.csv", rows)
    (tmp_path / "tmp").mkdir()
    command = [sys.executable, "-m", "multimarkets.cli", "customers", "import", str(tmp_path / "customers.csv")]
    command += ["--report", str(tmp_path / "report.csv"), "--rate-limit", "40/1s", "--concurrency", "4"]
    with Sandbox.in_thread(rate_limit=LIMIT, faults="latency=5ms..25ms", seed=2) as sandbox:
        env = dict(sandbox_env(sandbox), TMPDIR=str(tmp_path / "tmp"))  # where the scratch journal goes
        with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as run:
            assert run.stderr is not None
            for line in run.stderr:
                match = PROGRESS.search(line)
                if match and int(match.group(1)) >= 12:
                    run.send_signal(signal.SIGINT)
                    break
            errors = run.stderr.read()
        assert run.returncode == 130, errors
        [kept] = re.findall(r"run the same command with --journal (\S+) to resume", errors)
        assert os.path.dirname(kept).startswith(str(tmp_path / "tmp"))
        assert not (tmp_path / "report.csv").exists()
        resumed = subprocess.run([*command, "--journal", kept], env=env, capture_output=True, text=True, timeout=60)
        held = held_by_email(sandbox)
    assert resumed.returncode == 0, resumed.stderr
    with (tmp_path / "report.csv").open(newline="", encoding="utf-8") as report_file:
        report = list(csv.DictReader(report_file))
    assert [line["row"] for line in report] == [str(i) for i in range(1, 61)]
    assert all(held[line["email"]] == [line["customer_no"]] for line in report)
    assert sum(line["outcome"] == "registered" for line in report) >= 12  # those of the interrupted run included
