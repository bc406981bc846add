"""Reading customers from CSV and writing reports, without a server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from multimarkets.bulk import BulkReport, CsvError, JournalError, RowOutcome, RowResult, read_csv, read_results
from multimarkets.bulk.files import read_csv_numbered, write_report
from multimarkets.bulk.rows import _SENT_FIELDS, prepare
from multimarkets.models.customers import AddCustomerRequest


def test_csv_rows_are_stripped_except_passwords(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    text = '\ufeffemail, phone ,password,country,register_source,remark\n a@example.com ,,  spaced ,CN,H5,"a, b"\n'
    source.write_text(text, encoding="utf-8")
    [(line, row)] = list(read_csv_numbered(source))
    assert line == 2
    assert row == {
        "email": "a@example.com",
        "phone": "",
        "password": "  spaced ",
        "country": "CN",
        "register_source": "H5",
        "remark": "a, b",
    }
    # No text field sent may hold a control character (issue 9.10): the row is invalid, naming the remark.
    error = prepare(0, {**row, "remark": "two\nlines"}).error
    assert error is not None and error.field == "remark"
    assert prepare(0, row).error is None


ROWS = [f"u{i}@example.com,pw,CN,1,ok" for i in range(10)]


@pytest.mark.parametrize(
    ("bad", "rows"),
    [
        (ROWS[2].replace(",ok", ',"oops'), ROWS),  # the remark, the last column: every line after it was swallowed
        (ROWS[2].replace(",pw,", ',"pw,'), ROWS),  # a middle column: the error named the file's last line
        (ROWS[2].replace(",ok", ',"oops'), ROWS[:3]),  # on the last line: its own line break was swallowed
        (ROWS[2].replace(",ok", ',"two'), [*ROWS[:3], 'lines",x', *ROWS[3:]]),  # a quoted field over two lines
    ],
    ids=["last-column", "middle-column", "last-line", "balanced"],
)
def test_a_quote_left_open_is_an_error_at_its_line_and_no_row_after_it_is_read(
    tmp_path: Path, bad: str, rows: list[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("\n".join(["email,password,country,register_source,remark", *rows[:2], bad, *rows[3:]]) + "\n")
    read = []
    with pytest.raises(
        CsvError, match=r'^line 4: a quoted field runs past the end of the line \(a stray or unbalanced "'
    ):
        for row in read_csv(source):
            read.append(row["email"])
    assert read == ["u0@example.com", "u1@example.com"]


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("email,password,country,register_source\n\na@example.com,pw,CN,1\n,,,\nb@example.com,pw,CN,2\n")
    assert [row["email"] for row in read_csv(source)] == ["a@example.com", "b@example.com"]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(CsvError, match="cannot read"):
        list(read_csv(tmp_path / "missing.csv"))
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("email,email,password,country,register_source\n")
    with pytest.raises(CsvError, match=r"line 1: column.*email appear more than once"):
        list(read_csv(duplicate))


def test_the_row_fingerprint_ignores_passwords_and_empty_cells() -> None:
    row = {"email": "a@example.com", "password": "one", "country": "CN", "register_source": "1", "phone": ""}
    same = {"email": "a@example.com ", "password": "two", "country": "CN", "register_source": "1"}
    other = dict(row, country="SG")
    assert prepare(0, row).digest == prepare(0, same).digest != prepare(0, other).digest


def test_the_row_fingerprint_stays_what_earlier_runs_recorded() -> None:
    # A journal written by an earlier run (or build) is resumed only if each row's fingerprint is the same now.
    valid = {"email": "zoe@example.com", "phone": "13900001234", "password": "pw", "country": "CN"}
    valid |= {"register_source": "H5", "remark": 'Zoë "quoted", comma'}
    invalid = {"email": "not-an-email", "password": "pw", "country": "CN", "register_source": "H5", "remark": "é"}
    assert prepare(0, valid).digest == "99ccbf0853be622b09e15e2a8bce59a4"
    assert prepare(0, invalid).digest == "010cd0131fd741d279ae43aa0163ce8d"


def test_the_row_fingerprint_covers_every_field_sent_but_the_password() -> None:
    fingerprinted = {name for name, _ in _SENT_FIELDS} | {"remark"}  # the remark is added apart
    assert fingerprinted | {"pwd"} == {field.name for field in attrs.fields(AddCustomerRequest)}


def test_rows_of_the_wrong_type_are_invalid() -> None:
    prepared = prepare(0, ["a@example.com", "pw"])
    assert prepared.error is not None and prepared.error.field == "row"


def test_json_report_streams_rows(tmp_path: Path) -> None:
    report = BulkReport(1, 1, 0, 0, 0, 0, 0, 1, 0, 0.5, None)
    result = RowResult(row=1, email="a@example.com", phone=None, outcome=RowOutcome.REGISTERED, customer_no="86000001")
    write_report(tmp_path / "out.json", report, iter([result]))
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["summary"]["registered"] == 1 and written["summary"]["stopped_by"] is None
    assert written["rows"] == [
        {
            "row": 1,
            "email": "a@example.com",
            "phone": None,
            "outcome": "registered",
            "customer_no": "86000001",
            "code": None,
            "message": None,
            "attempts": 0,
            "trace": None,
        }
    ]


def test_reading_a_missing_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no journal"):
        list(read_results(tmp_path / "nope.db"))


def test_the_row_fingerprint_changes_with_anything_sent() -> None:
    row = {"email": "a@example.com", "password": "one", "country": "CN", "register_source": "1"}
    changed = [
        dict(row, remark="x"),
        dict(row, email_area="+1"),
        dict(row, remark="+1"),
        dict(row, remark="x', 'y"),
        dict(row, remark="x', None, 'y"),
        dict(row, remark="x'), ('remark', 'y"),
        dict(row, remark="None"),  # an absent field is "None" in the fingerprint's text, but not the remark
        dict(row, phone="13800000000"),
        dict(row, phone="13800000000", phone_area="+1"),
        dict(row, register_source="2"),
        dict(row, customer_group_id="2"),
    ]
    invalid = [dict(row, country=""), dict(row, country="", remark="x"), dict(row, country="", remark="x', 'y")]
    digests = [prepare(0, each).digest for each in [row, *changed, *invalid]]
    assert all(prepare(0, each).error is None for each in changed)
    assert all(prepare(0, each).error is not None for each in invalid)
    assert len(set(digests)) == len(digests)


def test_a_report_replaces_a_symlink_instead_of_following_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious data\n")
    (tmp_path / "out.csv").symlink_to(victim)
    report = BulkReport(1, 1, 0, 0, 0, 0, 0, 1, 0, 0.5, None)
    result = RowResult(row=1, email="a@example.com", phone=None, outcome=RowOutcome.REGISTERED, customer_no="86000001")
    write_report(tmp_path / "out.csv", report, iter([result]))
    assert victim.read_text() == "precious data\n"
    assert not (tmp_path / "out.csv").is_symlink()
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o600
    assert "86000001" in (tmp_path / "out.csv").read_text()


def test_a_report_that_fails_midway_leaves_the_previous_one_whole(tmp_path: Path) -> None:
    previous = tmp_path / "out.json"
    previous.write_text('{"summary": {}, "rows": []}\n')

    def results() -> Iterator[RowResult]:
        yield RowResult(row=1, email="a@example.com", phone=None, outcome=RowOutcome.REGISTERED, customer_no="1")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_report(previous, BulkReport(2, 1, 0, 0, 0, 0, 0, 1, 0, 0.5, None), results())
    assert previous.read_text() == '{"summary": {}, "rows": []}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.json"]  # no partial file left beside it
