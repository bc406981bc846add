"""``multimarkets customers import FILE.csv``: register every customer of a CSV file.

Credentials come from ``--api-key/--secret-key-file/--company-id`` or ``MULTIMARKETS_API_KEY``,
``MULTIMARKETS_SECRET_KEY``, ``MULTIMARKETS_COMPANY_ID``; the service from ``--base-url`` or
``MULTIMARKETS_BASE_URL`` (default: production), printed before anything is sent. Exit codes: 0 every row
settled and none failed (invalid and already existing rows are reported, not failures), 1 some failed or were
not attempted, 2 a fatal stop or unusable input (nothing or not all sent).

``--api manager`` registers through the Manager API instead: ``--app-id`` or ``MULTIMARKETS_MANAGER_APP_ID``,
the secret from ``MULTIMARKETS_MANAGER_APP_SECRET``, the service from ``--base-url`` or
``MULTIMARKETS_MANAGER_BASE_URL``, and ``--accounts`` (e.g. ``1:USDT;5:USDT,BTC``) the trading accounts every
customer gets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import attrs

from .._transport import check_base_url
from ..bulk import MAX_CONCURRENCY, BulkReport, CsvError, read_csv, read_csv_numbered, write_report
from ..bulk.files import report_format
from ..bulk.journal_file import JournalWriteError
from ..bulk.policy import misdirected
from ..bulk.rows import prepare
from ..client import AsyncBridgeClient
from ..config import DEFAULT_TIMEOUT, PRODUCTION_URL, Credentials, RateLimit, masked
from ..errors import APIConnectionError, APIError, ConfigurationError, MultiMarketsError, RedirectError, ValidationError
from ..manager.client import AsyncManagerClient
from ..manager.config import MANAGER_PRODUCTION_URL, ManagerCredentials
from ..models._checks import positive_int
from . import COMMANDS
from ._args import concurrency, seconds
from ._progress import BulkProgress, print_partial_summary, print_summary
from ._secret import add_secret_key_arguments, secret_key_from

__all__ = ["add_connection_arguments", "credentials_from", "register", "run_import"]

_SHOWN_PROBLEMS = 20

# Each credential: its environment variable and the option named when it is missing.
_ENV = {
    "api_key": ("MULTIMARKETS_API_KEY", "--api-key"),
    "secret_key": ("MULTIMARKETS_SECRET_KEY", "--secret-key-file"),
    "company_id": ("MULTIMARKETS_COMPANY_ID", "--company-id"),
}


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--base-url``, ``--api-key``, ``--secret-key`` or ``--secret-key-file``, ``--company-id`` (each defaulting
    to its environment variable) and ``--timeout``."""
    add = parser.add_argument
    add("--base-url", help="service base URL (default $MULTIMARKETS_BASE_URL, else production)")
    add("--api-key", help="API key (default $MULTIMARKETS_API_KEY)")
    add_secret_key_arguments(parser, "RSA secret key, base64 PKCS#8 or PEM (default $MULTIMARKETS_SECRET_KEY)")
    add("--company-id", help="company id (default $MULTIMARKETS_COMPANY_ID)")
    add(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds per request ({DEFAULT_TIMEOUT:g})",
    )


def credentials_from(args: argparse.Namespace) -> tuple[Credentials, str]:
    """The credentials and base URL from the options, falling back to the environment."""
    given = {"api_key": args.api_key, "secret_key": secret_key_from(args), "company_id": args.company_id}
    values = {name: given[name] or os.environ.get(env, "") for name, (env, _) in _ENV.items()}
    missing = [f"{option} (or ${env})" for name, (env, option) in _ENV.items() if not values[name]]
    if missing:
        raise ConfigurationError(f"missing {', '.join(missing)}")
    base_url = args.base_url or os.environ.get("MULTIMARKETS_BASE_URL") or PRODUCTION_URL
    return Credentials(values["api_key"], values["secret_key"], values["company_id"]), base_url


def register(subparsers: Any) -> None:
    """Add ``customers import`` to the main parser."""
    parser = subparsers.add_parser("customers", help=COMMANDS["customers"])
    commands = parser.add_subparsers(dest="customers_command", metavar="COMMAND", required=True)
    imp = commands.add_parser(
        "import",
        help="register every customer of a CSV file",
        description="Register every customer of a CSV file at the allowed rate, resumably with --journal. "
        "Header: some of email, phone, phone_area, email_area, password, password_md5, country, "
        "register_source, customer_group_id, remark. Exit code 0: every row settled and none failed "
        "(invalid and already existing rows are in the report); 1: some failed; 2: stopped by a fatal error or "
        "unusable input. With --dry-run: 0 when every row is valid, 1 otherwise.",
    )
    add = imp.add_argument
    add("file", metavar="FILE.csv", help="UTF-8 CSV file with a header line (a regular file: it is read twice)")
    add("--journal", metavar="PATH", help="SQLite journal: records every row; run again with it to resume")
    add("--report", metavar="PATH.csv|.json", help="write one line per input row with its outcome")
    add(
        "--concurrency",
        type=concurrency,
        default=8,
        metavar="N",
        help=f"rows in flight at once, 1 to {MAX_CONCURRENCY} (default 8)",
    )
    add("--rate-limit", metavar="N/WINDOW", help="requests allowed per key (default 100/60s; manager: 300/60s)")
    add("--api", choices=("bridge", "manager"), default="bridge", help="the API to register through")
    add("--accounts", metavar="T:CUR[,CUR];...", help="manager: trading accounts to open, e.g. 1:USDT;5:USDT,BTC")
    add("--app-id", help="manager: app id (default $MULTIMARKETS_MANAGER_APP_ID; the secret: $..._APP_SECRET)")
    add("--dry-run", action="store_true", help="only check the file; send nothing")
    add_connection_arguments(imp)
    imp.set_defaults(func=run_import)


def _check_file(path: str) -> tuple[int, int]:
    """Read the whole file once, printing its problems; returns (rows, invalid rows). Raises CsvError."""
    total = invalid = 0
    for line, row in read_csv_numbered(path):
        prepared = prepare(total, row)
        total += 1
        if prepared.error is not None:
            invalid += 1
            if invalid <= _SHOWN_PROBLEMS:
                error = prepared.error
                print(f"row {total} (line {line}): invalid {error.field}: {error.message}", file=sys.stderr)
    if invalid > _SHOWN_PROBLEMS:
        print(f"... and {invalid - _SHOWN_PROBLEMS} more invalid rows", file=sys.stderr)
    return total, invalid


def _check_regular_file(path: str) -> None:
    """Refuse a pipe or a device (``/dev/stdin`` from a pipe, ``<(...)``) before reading it: a run reads its
    file twice, checking every row before the first is sent and then sending them, and a pipe gives its lines
    only once. A missing or unreadable file is left to the reading, which names the problem."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise CsvError(
            "not a regular file (a pipe?): the file is read twice, checked whole before anything is sent, then "
            "sent; save the input to a file and import that (resuming with --journal needs the same file again)"
        )


def _check_report_path(path: str, *, keep: dict[str, str | None]) -> None:
    """Refuse an unwritable report path before anything is sent: the report is written after the run, and
    without ``--journal`` it is the only record of each row. Refuse as well a path naming one of the files in
    ``keep`` (the input, the journal): the report would replace it."""
    report_format(path)
    if os.path.isdir(path):
        raise ConfigurationError(f"cannot write the report {path}: it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise ConfigurationError(f"cannot write the report {path}: {folder} is not a writable directory")
    for role, other in keep.items():
        if other is not None and _same_file(path, other):
            raise ConfigurationError(f"the report {path} would replace the {role} {other}: give another --report")


def _same_file(one: str, other: str) -> bool:
    """Whether the two paths name one file: through links, or, for a file not made yet, as the same path."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return os.path.realpath(one) == os.path.realpath(other)


def _what_to_fix(stopped_by: MultiMarketsError, base_url: str, own_url: str) -> str | None:
    """What to check after a stop on an error about where the requests go (:func:`~..bulk.policy.misdirected`)."""
    if not misdirected(stopped_by):
        return None
    if isinstance(stopped_by, APIError):  # a 404 or 405 without the service's envelope
        return (
            f"nothing at {base_url} takes the service's requests (HTTP {stopped_by.http_status} without its "
            f"envelope): check the path of --base-url (the service's own: {own_url})"
        )
    return (
        f"no connection to {base_url} could be made: check the host and port of --base-url, the proxy "
        "(HTTPS_PROXY, HTTP_PROXY) and the network"
    )


def _resume_hint(stopped_by: MultiMarketsError, journal: str, base_url: str) -> str:
    # Fixing these usually means another base URL, and a journal refuses any but its own.
    new_journal = f"a corrected --base-url needs a new --journal ({journal} belongs to {base_url})"
    if isinstance(stopped_by, APIConnectionError) and misdirected(stopped_by):
        return f"{new_journal}; fixed otherwise (the proxy, the network), the same command resumes from {journal}"
    if isinstance(stopped_by, RedirectError) or misdirected(stopped_by):
        what = "redirects" if isinstance(stopped_by, RedirectError) else "does not lead to the service"
        return f"{base_url} {what}: {new_journal}; once that URL answers itself, the same command resumes from it"
    return f"fix the cause, then run the same command to resume from {journal}"


def _after_journal_failure(journal: str, *, kept: bool) -> str:
    """What to do after the journal failed part-way: resume from what it holds, if it is still there."""
    if not os.path.exists(journal):
        return (
            f"{journal} is gone with its records: a new run of the file reports the rows the service holds as "
            "already exists"
        )
    resume = "run the same command again" if kept else f"run the same command with --journal {journal}"
    return f"the rows sent so far are recorded in {journal}: once the cause is fixed, {resume} to resume"


def _exit_code(report: BulkReport) -> int:
    if report.stopped_by is not None:
        return 2
    return 0 if report.ok else 1


# What each API takes that the other does not: given with the other API, the option would be silently ignored.
_ONLY_FOR = {
    "manager": (("accounts", "--accounts"), ("app_id", "--app-id")),
    "bridge": (
        ("api_key", "--api-key"),
        ("secret_key", "--secret-key"),
        ("secret_key_file", "--secret-key-file"),
        ("company_id", "--company-id"),
    ),
}

_CURRENCY = re.compile("[A-Za-z0-9_.-]+")


def _check_api_options(args: argparse.Namespace) -> dict[int, str]:
    """Refuse options of the API not chosen; the ``--accounts`` to open with the Manager API (none for the
    Bridge API)."""
    for api, options in _ONLY_FOR.items():
        given = [option for name, option in options if getattr(args, name) is not None]
        if given and args.api != api:
            raise ConfigurationError(f"{', '.join(given)}: only with --api {api} (this run: --api {args.api})")
    return _accounts_from(args.accounts) if args.api == "manager" else {}


def _accounts_from(text: str | None) -> dict[int, str]:
    """``--accounts``: each trade type with its currencies, comma-joined as the service takes them (one
    ``{tradeType, allCurrency}`` entry per trade type, manager-api §5.6): a trade type given twice
    (``1:USDT;1:BTC``) opens the currencies of both, each once."""
    accounts: dict[int, list[str]] = {}
    for part in filter(None, (text or "").split(";")):
        trade_type, _, listed = part.partition(":")
        currencies = [currency.strip() for currency in listed.split(",")]
        try:
            # The model's own check (ASCII digits, 1 to 2**63 - 1), so that a dry run refuses what the run would.
            number = positive_int(trade_type, "trade_type")
        except ValidationError:
            number = None
        if number is None or not all(_CURRENCY.fullmatch(currency) for currency in currencies):
            raise ConfigurationError(
                f"--accounts: {part!r} is not TRADE_TYPE:CURRENCY[,CURRENCY] (a trade type is a number from 1 to "
                "2**63 - 1 in ASCII digits, a currency letters and digits, e.g. 1:USDT)"
            )
        opened = accounts.setdefault(number, [])
        for currency in currencies:
            if currency not in opened:
                opened.append(currency)
    if not accounts:
        raise ConfigurationError("--api manager needs --accounts, e.g. 1:USDT")
    return {trade_type: ",".join(currencies) for trade_type, currencies in accounts.items()}


def _manager_from(args: argparse.Namespace) -> tuple[ManagerCredentials, str]:
    """Manager credentials and base URL."""
    env = dict(os.environ)
    if args.app_id:
        env["MULTIMARKETS_MANAGER_APP_ID"] = args.app_id
    base_url = args.base_url or os.environ.get("MULTIMARKETS_MANAGER_BASE_URL") or MANAGER_PRODUCTION_URL
    return ManagerCredentials.from_env(env), base_url


class _CsvRows:
    """The file's rows for the run. A :class:`CsvError` met midway (the file changed since it was checked, or a read
    failed) ends them as if the file ended there, and is kept in :attr:`error`: the run then returns its report of
    the rows read before, each worked to its outcome, for the summary and the report file (raised through the run, it
    cost both: the engine raises an input's error in place of its report)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self.error: CsvError | None = None

    def __iter__(self) -> Iterator[dict[str, str]]:
        try:
            yield from read_csv(self._path)
        except CsvError as exc:
            self.error = exc


async def _run(
    args: argparse.Namespace,
    credentials: Credentials | ManagerCredentials,
    base_url: str,
    rows: _CsvRows,
    progress: BulkProgress,
    journal: str | None,
    accounts: dict[int, str],
) -> BulkReport:
    options = {"concurrency": args.concurrency, "journal": journal}
    with progress:
        if isinstance(credentials, ManagerCredentials):
            limit = RateLimit.parse(args.rate_limit or "300/60s")
            async with AsyncManagerClient(credentials, base_url, timeout=args.timeout, rate_limit=limit) as manager:
                return await manager.customers.register_many(rows, accounts=accounts, on_result=progress, **options)
        limit = RateLimit.parse(args.rate_limit or "100/60s")
        async with AsyncBridgeClient(credentials, base_url, timeout=args.timeout, rate_limit=limit) as client:
            return await client.customers.register_many(rows, on_result=progress, **options)


def run_import(args: argparse.Namespace) -> int:
    """Run ``customers import``; returns the exit code."""
    scratch = None
    try:
        RateLimit.parse(args.rate_limit or "1/1s")
        accounts = _check_api_options(args)
        if args.report:
            _check_report_path(args.report, keep={"input": args.file, "journal": args.journal})
        if not args.dry_run:
            _check_regular_file(args.file)
        total, invalid = _check_file(args.file)
        print(f"{args.file}: {total} rows, {invalid} invalid", file=sys.stderr)
        if args.dry_run:
            return 1 if invalid else 0
        credentials: Credentials | ManagerCredentials
        if args.api == "manager":
            credentials, base_url = _manager_from(args)
        else:
            credentials, base_url = credentials_from(args)
        check_base_url(base_url)  # before it is printed: it must not hold a password
        if isinstance(credentials, ManagerCredentials):
            who = f"app {masked(credentials.app_id)}"
        else:
            who = credentials.company_id
        journal = args.journal
        if journal is None and args.report:
            # The report is written in input order from a journal, so a run without one gets a throwaway one.
            scratch = tempfile.mkdtemp(prefix="multimarkets-import-")
            journal = os.path.join(scratch, "journal.db")
        rows = _CsvRows(args.file)
        progress = BulkProgress(total)
        try:
            print(f"registering at {base_url} for company {who}", file=sys.stderr, flush=True)
            report = asyncio.run(_run(args, credentials, base_url, rows, progress, journal, accounts))
        except KeyboardInterrupt:
            if args.journal:
                print(f"interrupted; run the same command again to resume from {args.journal}", file=sys.stderr)
            elif journal is not None:
                # The report is written only at the end: the scratch journal is the only record of the rows sent.
                print(f"interrupted; run the same command with --journal {journal} to resume", file=sys.stderr)
                scratch = None  # keep it
            raise
        except JournalWriteError as exc:
            # The run stopped part-way, without its report: what it saw settle, then why (the engine logged how
            # many rows it left maybe sent).
            print_partial_summary(progress)
            print(f"multimarkets customers import: {exc}", file=sys.stderr)
            assert journal is not None  # only a journal file fails
            print(_after_journal_failure(journal, kept=args.journal is not None), file=sys.stderr)
            if os.path.exists(journal):
                scratch = None  # keep it: it holds the rows sent, those that may have been among them included
            return 2
        if rows.error is not None and report.stopped_by is None:
            # The file's error stopped the run: the summary, the report's and the exit code say so, as for a fatal
            # error (the rows after it were never read: no count holds them).
            report = attrs.evolve(report, stopped_by=rows.error)
        if args.report:
            # The summary names the journal only when the user keeps one (a scratch journal is deleted below).
            try:
                write_report(args.report, attrs.evolve(report, journal=args.journal), report.rows())
            except OSError as exc:
                print_summary(report)
                print(f"multimarkets customers import: cannot write the report {args.report}: {exc}", file=sys.stderr)
                assert journal is not None  # a run with a report always has a journal
                print(f"every row's outcome is kept in the journal {journal}", file=sys.stderr)
                scratch = None  # keep it: it is now the only record of the run
                return 2
        print_summary(report)
        if rows.error is not None:
            print(f"multimarkets customers import: {args.file}: {rows.error}", file=sys.stderr)
        if report.stopped_by is not None:
            own_url = MANAGER_PRODUCTION_URL if args.api == "manager" else PRODUCTION_URL
            advice = _what_to_fix(report.stopped_by, base_url, own_url)
            if advice is not None:
                print(f"multimarkets customers import: {advice}", file=sys.stderr)
            if args.journal:
                print(_resume_hint(report.stopped_by, args.journal, base_url), file=sys.stderr)
        return _exit_code(report)
    except CsvError as exc:
        print(f"multimarkets customers import: {args.file}: {exc}", file=sys.stderr)
        return 2
    except (ConfigurationError, MultiMarketsError) as exc:
        print(f"multimarkets customers import: {exc}", file=sys.stderr)
        return 2
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
