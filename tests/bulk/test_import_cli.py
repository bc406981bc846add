"""``multimarkets customers import``, ``demo`` and ``sandbox`` from the command line (in-process)."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bulk_helpers import FAST, HEADER, customers_csv, held_by_email, import_, make_rows, point_env_at, write

from multimarkets.bulk import REPORT_COLUMNS, RowOutcome
from multimarkets.bulk.journal import read_results
from multimarkets.cli import build_parser, main
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import BizError, RequestContext, Sandbox
from multimarkets.sandbox import cli as sandbox_cli
from multimarkets.sandbox.handlers import HANDLERS


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox.in_thread(rate_limit=FAST) as sb:
        point_env_at(sb, monkeypatch)
        yield sb


def test_import_writes_a_json_report_and_exits_0(sandbox: Sandbox, tmp_path: Path) -> None:
    source = customers_csv(tmp_path / "in.csv", 25)
    assert import_(str(source), "--report", str(tmp_path / "out.json")) == 0
    report = json.loads((tmp_path / "out.json").read_text())
    assert set(report) == {"summary", "rows"}
    summary = report["summary"]
    assert (summary["total"], summary["registered"], summary["failed"], summary["stopped_by"]) == (25, 25, 0, None)
    assert summary["journal"] is None  # the run's journal was a scratch file
    assert all(list(row) == list(REPORT_COLUMNS) for row in report["rows"])
    held = held_by_email(sandbox)
    assert [row["row"] for row in report["rows"]] == list(range(1, 26))
    assert all(held[row["email"]] == [row["customer_no"]] for row in report["rows"])


def test_import_with_a_journal_resumes_and_reports_csv(sandbox: Sandbox, tmp_path: Path) -> None:
    source = customers_csv(tmp_path / "in.csv", 10)
    journal = str(tmp_path / "run.db")
    assert import_(str(source), "--journal", journal) == 0
    assert import_(str(source), "--journal", journal, "--report", str(tmp_path / "out.csv")) == 0
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert tuple(lines[0]) == REPORT_COLUMNS
    assert [line[3] for line in lines[1:]] == ["registered"] * 10
    assert sandbox.stats()["customers"] == 10


def test_already_existing_and_invalid_rows_are_reported_and_exit_0(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_holds = make_rows(1)[0]
    text = f"{HEADER}\n{sandbox_holds['email']},,pw,CN,1\n{sandbox_holds['email']},,pw,CN,1\nbroken,,pw,CN,1\n"
    source = write(tmp_path / "in.csv", text)
    assert import_(str(source), "--report", str(tmp_path / "out.csv")) == 0
    assert "row 3 (line 4): invalid email" in capsys.readouterr().err
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        outcomes = [line["outcome"] for line in csv.DictReader(handle)]
    assert outcomes == ["registered", "already_exists", "invalid"]


def test_failed_rows_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def suspended(ctx: RequestContext, body: dict[str, Any]) -> Any:
        raise BizError("USCUSTOMER_API_0000111", "Company does not exist or has been suspended")

    with Sandbox.in_thread(rate_limit=FAST, handlers={ADD_CUSTOMER: suspended}) as sb:
        point_env_at(sb, monkeypatch)
        assert import_(str(customers_csv(tmp_path / "in.csv", 2)), "--report", str(tmp_path / "out.json")) == 1
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert report["summary"]["failed"] == 2
    assert {row["code"] for row in report["rows"]} == {"USCUSTOMER_API_0000111"}


def test_a_fatal_stop_exits_2(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox.in_thread(rate_limit=FAST) as other:
        monkeypatch.setenv("MULTIMARKETS_SECRET_KEY", other.credentials.secret_key)
    source = customers_csv(tmp_path / "in.csv", 5)
    assert import_(str(source), "--report", str(tmp_path / "out.json")) == 2
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["summary"]["stopped_by"]["error"] == "SignatureError"
    assert [row["outcome"] for row in report["rows"]] == ["not_attempted"] * 5


def test_dry_run_checks_the_file_and_sends_nothing(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = customers_csv(tmp_path / "good.csv", 3)
    assert import_(str(good), "--dry-run") == 0
    bad = write(tmp_path / "bad.csv", f"{HEADER}\na@example.com,,pw,CN,H5\n\nb@example.com,,,CN,H5\n")
    assert import_(str(bad), "--dry-run") == 1
    err = capsys.readouterr().err
    assert "row 2 (line 4): invalid password" in err and "2 rows, 1 invalid" in err
    assert sandbox.stats()["requests"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"email,password,country\na@example.com,pw,CN\n", "line 1: missing column register_source"),
        (b"email,password,country,register_source,nickname\n", "unknown column(s) 'nickname'"),
        (b"email,password,country,register_source\na@example.com,pw,CN,H5,extra\n", "line 2: 5 fields"),
        (b"email,password,country,register_source\nb@example.com,pw,CN,H5\n\xff\xfe,pw,CN,H5\n", "line 3:"),
        (b"", "is empty"),
        (
            b'email,password,country,register_source,remark\na@x.com,pw,CN,H5,"oops\nb@x.com,pw,CN,H5,ok\n',
            "line 2: a quoted field runs past the end of the line",
        ),
    ],
)
def test_bad_files_exit_2_naming_the_line(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    assert import_(str(source)) == 2
    assert message in capsys.readouterr().err
    assert sandbox.stats()["requests"] == 0


def test_missing_credentials_and_bad_options_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MULTIMARKETS_API_KEY", "MULTIMARKETS_SECRET_KEY", "MULTIMARKETS_COMPANY_ID"):
        monkeypatch.delenv(name, raising=False)
    source = customers_csv(tmp_path / "in.csv", 1)
    assert import_(str(source)) == 2
    assert "missing --api-key (or $MULTIMARKETS_API_KEY)" in capsys.readouterr().err
    assert import_(str(source), "--report", str(tmp_path / "out.txt")) == 2
    assert ".csv or .json" in capsys.readouterr().err
    assert import_(str(source), "--report", str(tmp_path / "no-such-dir" / "out.csv")) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_demo_exits_0(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there; the demo must not use it
    assert main(["demo", "--rows", "120", "--rate-limit", "100/1s"]) == 0
    out = capsys.readouterr().out
    assert "429 served" in out and "achieved rate" in out


def test_sandbox_subcommand_is_the_sandbox_cli() -> None:
    args = build_parser().parse_args(["sandbox", "--port", "0", "--rate-limit", "10/1s"])
    assert args.func is sandbox_cli.run and args.port == 0 and args.rate_limit == "10/1s"


def test_a_report_that_cannot_be_written_keeps_the_scratch_journal_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()

    async def lose_the_folder(ctx: RequestContext, body: dict[str, Any]) -> Any:
        # The report's folder, writable when checked, is gone when the report is written after the run.
        if folder.is_dir():
            folder.rmdir()
            folder.write_text("a file now")
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    source = customers_csv(tmp_path / "in.csv", 3)
    with Sandbox.in_thread(rate_limit=FAST, handlers={ADD_CUSTOMER: lose_the_folder}) as sb:
        point_env_at(sb, monkeypatch)
        assert import_(str(source), "--report", str(folder / "out.csv")) == 2
    err = capsys.readouterr().err
    assert f"cannot write the report {folder / 'out.csv'}: [Errno 20] Not a directory" in err
    [kept] = re.findall(r"kept in the journal (\S+)", err)
    results = list(read_results(kept))
    assert [r.outcome for r in results] == [RowOutcome.REGISTERED] * 3
    shutil.rmtree(os.path.dirname(kept))


@pytest.mark.parametrize(
    ("spoilt", "problem"),
    [
        (b"\xff\xfe@example.com,,pw,CN,H5\n", "{source} is not UTF-8"),
        # A quote left open: the line after it is not swallowed into its field, nor the row sent or left out silently.
        (b'a@example.com,,pw,CN,"H5\nuser00098@example.com,,pw,CN,H5\n', "a quoted field runs past the end"),
    ],
    ids=["not-utf8", "open-quote"],
)
@pytest.mark.parametrize("journal", [False, True], ids=["scratch-journal", "journal"])
def test_a_file_that_breaks_midway_reports_the_rows_read_before_and_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    journal: bool,
    spoilt: bytes,
    problem: str,
) -> None:
    """The file is checked whole before the run, but may change under it: a line that turns bad once rows were
    sent stops the run there, with the summary, the report and a way to resume, as a fatal error does."""
    source = customers_csv(tmp_path / "in.csv", 3)
    good, served = source.read_bytes(), []

    async def spoil_the_file(ctx: RequestContext, body: dict[str, Any]) -> Any:
        # With one worker, the reader is still at the first row: the line added now is read after the third.
        if not served:
            with source.open("ab") as handle:
                handle.write(spoilt)
        served.append(body)
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the scratch journal goes
    options = ["--concurrency", "1", "--report", str(tmp_path / "out.json")]
    if journal:
        options += ["--journal", str(tmp_path / "run.db")]
    with Sandbox.in_thread(rate_limit=FAST, handlers={ADD_CUSTOMER: spoil_the_file}) as sb:
        point_env_at(sb, monkeypatch)
        assert import_(str(source), *options) == 2
        held = held_by_email(sb)
        out, err = capsys.readouterr()
        assert f"{source}: line 5: {problem.format(source=source)}" in err
        assert re.search(r"registered\s+3\n", out) and re.search(r"stopped by\s+CsvError: line 5:", out)
        report = json.loads((tmp_path / "out.json").read_text())
        assert report["summary"]["stopped_by"]["error"] == "CsvError"
        assert [(row["outcome"], [row["customer_no"]]) for row in report["rows"]] == [
            ("registered", held[row["email"]]) for row in report["rows"]
        ]
        assert len(report["rows"]) == len(held) == 3
        if not journal:
            assert "resume" not in err
            assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.json"]  # the scratch journal is gone
            return
        assert f"then run the same command to resume from {tmp_path / 'run.db'}" in err
        source.write_bytes(good + b"user00099@example.com,,pw,CN,H5\n")  # the file fixed
        assert import_(str(source), *options) == 0
    report = json.loads((tmp_path / "out.json").read_text())
    assert (report["summary"]["resumed"], report["summary"]["registered"]) == (3, 4)


@pytest.mark.parametrize("kind", ["input", "journal", "link to the input", "directory"])
def test_a_report_path_that_would_replace_the_input_or_journal_or_is_a_directory_exits_2_before_sending(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    source = customers_csv(tmp_path / "in.csv", 2)
    journal = tmp_path / "run.csv"  # any name: a journal named like a report is still the journal
    report = {"input": source, "journal": journal, "link to the input": tmp_path / "out.csv"}.get(kind)
    if kind == "link to the input":
        (tmp_path / "out.csv").symlink_to(source)
    if kind == "directory":
        report = tmp_path / "out.csv"
        report.mkdir()
    text = source.read_text()
    assert import_(str(source), "--journal", str(journal), "--report", str(report)) == 2
    err = capsys.readouterr().err
    assert ("it is a directory" if kind == "directory" else "would replace the") in err
    assert sandbox.stats()["requests"] == 0
    assert source.read_text() == text


def test_a_malformed_base_url_exits_2_with_one_line(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = customers_csv(tmp_path / "in.csv", 1)
    assert import_(str(source), "--base-url", "http://[::1:1/webhook", "--report", str(tmp_path / "out.csv")) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("multimarkets customers import: base_url is not a valid URL")
    assert sandbox.stats()["requests"] == 0


def test_a_base_url_with_a_password_exits_2_without_showing_it(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = customers_csv(tmp_path / "in.csv", 1)
    with_password = sandbox.base_url.replace("http://", "http://gw:Passw0rdInUrl@")
    assert import_(str(source), "--base-url", with_password, "--report", str(tmp_path / "out.csv")) == 2
    out, err = capsys.readouterr()
    assert "base_url must not hold credentials" in err
    assert "Passw0rdInUrl" not in out + err
    assert sandbox.stats()["requests"] == 0


def test_a_pipe_is_refused_before_it_is_read_but_a_dry_run_reads_it(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run reads its file twice (checked whole, then sent): a pipe's second reading found it empty, after its
    rows had been counted, and the run stopped on a "file is empty" error."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert import_(str(pipe), "--report", str(tmp_path / "out.csv")) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"multimarkets customers import: {pipe}: not a regular file (a pipe?): the file is read twice, checked whole "
        "before anything is sent, then sent; save the input to a file and import that (resuming with --journal needs "
        "the same file again)"
    ]
    assert sandbox.stats()["requests"] == 0 and not (tmp_path / "out.csv").exists()

    def feed() -> None:
        pipe.write_text(f"{HEADER}\na@example.com,,pw,CN,H5\n")  # blocks until the dry run opens the pipe

    writer = threading.Thread(target=feed)
    writer.start()
    assert import_(str(pipe), "--dry-run") == 0
    writer.join()
    assert f"{pipe}: 1 rows, 0 invalid" in capsys.readouterr().err
