"""Bulk registration: ``client.customers.register_many`` / ``stream_register`` and their journal and report.

Rows stream from any (async) iterable through ``concurrency`` workers that share the client's rate limiter;
each row ends with one :class:`RowResult`; a SQLite journal makes a killed run resumable (without one, the
run's state stays in memory).
"""

from .engine import OnResult
from .files import CSV_COLUMNS, CsvError, read_csv, read_csv_numbered, write_report
from .journal import JournalError, read_results
from .options import MAX_CONCURRENCY
from .outcome import REPORT_COLUMNS, RowOutcome, RowResult
from .policy import FATAL_ERRORS
from .report import BulkReport
from .rows import RowInput, Rows

__all__ = [
    "CSV_COLUMNS",
    "FATAL_ERRORS",
    "MAX_CONCURRENCY",
    "REPORT_COLUMNS",
    "BulkReport",
    "CsvError",
    "JournalError",
    "OnResult",
    "RowInput",
    "RowOutcome",
    "RowResult",
    "Rows",
    "read_csv",
    "read_csv_numbered",
    "read_results",
    "write_report",
]
