"""Files of a bulk run: customers read from CSV, and the report written as CSV or JSON."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import TextIO

import attrs

from ..errors import ConfigurationError
from ..models.customers import CustomerRegistration
from .outcome import REPORT_COLUMNS, RowResult
from .report import BulkReport

__all__ = ["CSV_COLUMNS", "CsvError", "read_csv", "read_csv_numbered", "report_format", "write_report"]

CSV_COLUMNS = tuple(attrs.fields_dict(CustomerRegistration))
"""The columns a customers CSV may have: the snake_case fields of :class:`CustomerRegistration`."""

_REQUIRED = (("country",), ("register_source",), ("email", "phone"), ("password", "password_md5"))
# Passwords are taken verbatim: a leading or trailing space may be part of one.
_VERBATIM = frozenset({"password", "password_md5"})


class CsvError(ConfigurationError):
    """The file cannot be read as customers: encoding, header or row shape. ``line`` is 1-based (0: none)."""

    def __init__(self, message: str, *, line: int = 0) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


def _decoded(lines: Iterable[bytes], path: str) -> Iterator[str]:
    for number, raw in enumerate(lines, start=1):
        try:
            # utf-8-sig drops the byte-order mark spreadsheet programs put at the start of a file.
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise CsvError(
                f"{path} is not UTF-8 (byte {exc.start + 1} of the line); save it as UTF-8 CSV", line=number
            ) from None


def _check_header(header: list[str]) -> list[str]:
    columns = [name.strip() for name in header]
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    if unknown:
        raise CsvError(f"unknown column(s) {', '.join(map(repr, unknown))}; expected some of {', '.join(CSV_COLUMNS)}")
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise CsvError(f"column(s) {', '.join(duplicates)} appear more than once", line=1)
    for choice in _REQUIRED:
        if not set(choice) & set(columns):
            raise CsvError(f"missing column {' or '.join(choice)}", line=1)
    return columns


def read_csv(path: str | os.PathLike[str]) -> Iterator[dict[str, str]]:
    """Yield one mapping per data row of a customers CSV (header: :data:`CSV_COLUMNS`), lazily; rows to pass to
    ``register_many``. See :func:`read_csv_numbered` for the checks made."""
    for _, row in read_csv_numbered(path):
        yield row


def read_csv_numbered(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each data row of a customers CSV, lazily; ``line`` is the row's line.

    Blank lines are skipped (and not counted as rows). Raises :class:`CsvError` naming the line for a file
    that is not UTF-8, a header with unknown or missing columns, a row whose number of fields differs from
    the header's, or a quoted field that runs past the end of its line (a row is one line: no column may hold a
    line break, so this is a stray or unbalanced ``"``, named at the line where it is). Values are stripped, except
    passwords; the values themselves are validated by the bulk run.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            yield from _parse(handle, name)
    except OSError as exc:
        raise CsvError(f"cannot read {name}: {exc.strerror}") from None


def _parse(handle: Iterable[bytes], name: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(_decoded(handle, name))
    header = _record(reader, 1, "not a CSV file")
    if header is None:
        raise CsvError(f"{name} is empty; the first line must be the header")
    columns = _check_header(header)
    while True:
        line = reader.line_num + 1
        fields = _record(reader, line, "malformed CSV")
        if fields is None:
            return
        if not any(field.strip() for field in fields):
            continue
        if len(fields) != len(columns):
            raise CsvError(f"{len(fields)} fields, but the header has {len(columns)}", line=line)
        row = {
            column: value if column in _VERBATIM else value.strip()
            for column, value in zip(columns, fields, strict=True)
        }
        yield line, row


def _record(reader: Iterator[list[str]], line: int, problem: str) -> list[str] | None:
    """The next record of ``reader``, which must lie on one line. A record is one line in our format: no field
    may hold a line break (the validation refuses control characters in every column), so a quoted field that runs
    on is a stray or unbalanced quote, and reading on would swallow the lines after it into one field. Errors name
    the record's ``line``, where it started (where the quote is), rather than where reading stopped."""
    try:
        fields: list[str] | None = next(reader, None)
    except csv.Error as exc:
        raise CsvError(f"{problem}: {exc}", line=line) from None
    # A quote opened on the last line swallows its line break without going on to the next line: look at the fields.
    if fields is not None and any("\n" in field for field in fields):
        raise CsvError(
            'a quoted field runs past the end of the line (a stray or unbalanced " ?); a field cannot hold a line '
            "break, and the lines after it are not read",
            line=line,
        )
    return fields


def report_format(path: str | os.PathLike[str]) -> str:
    """``"csv"`` or ``"json"`` from the report file's extension; anything else raises :class:`ConfigurationError`."""
    extension = os.path.splitext(os.fspath(path))[1].lower()
    if extension not in (".csv", ".json"):
        raise ConfigurationError(f"the report must be a .csv or .json file, not {os.fspath(path)!r}")
    return extension[1:]


def write_report(path: str | os.PathLike[str], report: BulkReport, results: Iterable[RowResult]) -> None:
    """Write the report: JSON ``{"summary": {...}, "rows": [...]}`` or CSV with one line per row
    (:data:`~multimarkets.bulk.REPORT_COLUMNS`), streaming ``results`` so any size fits in memory. The file gets
    mode 0600.

    The report is written to a new file beside ``path`` and renamed over it once complete: a symlink at ``path``
    is replaced, never followed (a link planted there cannot aim the report at another file), and a run that dies
    while writing leaves the previous report whole."""
    kind = report_format(path)
    target = os.fspath(path)
    # One line per customer, with their e-mail and phone: mkstemp makes the file private to its owner.
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=os.path.dirname(target) or "."
    )
    try:
        with open(descriptor, "w", encoding="utf-8", newline="") as out:
            _write_rows(out, kind, report, results)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _write_rows(out: TextIO, kind: str, report: BulkReport, results: Iterable[RowResult]) -> None:
    if kind == "csv":
        writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.report_row())
        return
    out.write('{"summary": ' + json.dumps(report.summary(), ensure_ascii=False) + ', "rows": [')
    separator = "\n"
    for result in results:
        out.write(separator + json.dumps(result.report_row(), ensure_ascii=False))
        separator = ",\n"
    out.write("\n]}\n")
