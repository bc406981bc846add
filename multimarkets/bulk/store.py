"""The row store of a run: each input row's last recorded state, in the journal file or, for a run without
one, in memory (only what the reconcile pass and its rules still need)."""

from __future__ import annotations

import bisect
import operator
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from .outcome import RowOutcome, RowResult
from .policy import MAYBE_SENT
from .rows import ValidRow, email_key

__all__ = [
    "COLUMNS",
    "FIRST",
    "IN_FLIGHT",
    "REGISTERED",
    "ROWS_SCHEMA",
    "SENDING",
    "UPSERT",
    "MemoryRows",
    "RowWrites",
    "SqlRows",
    "StoredRow",
    "first_values",
    "row_values",
    "sending_values",
    "stored",
]

IN_FLIGHT = "in_flight"
"""State of a row whose registration call was (or may have been) under way."""

_OUTCOMES = {outcome.value: outcome for outcome in RowOutcome} | {IN_FLIGHT: RowOutcome.NOT_ATTEMPTED}

ROWS_SCHEMA = """
CREATE TABLE rows (
    position INTEGER PRIMARY KEY,
    digest TEXT NOT NULL,
    state TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    customer_no TEXT,
    code TEXT,
    message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    ambiguous INTEGER NOT NULL DEFAULT 0,
    pending INTEGER NOT NULL DEFAULT 0,
    retryable INTEGER NOT NULL DEFAULT 0,
    phone_key TEXT,
    email_key TEXT,
    trace TEXT
);
CREATE INDEX rows_pending_email ON rows (email_key) WHERE pending = 1;
CREATE INDEX rows_pending_phone ON rows (phone_key) WHERE pending = 1;
"""


@attrs.frozen
class StoredRow:
    """One row as the journal last recorded it."""

    position: int
    digest: str
    state: str
    """``in_flight`` or a :class:`RowOutcome` value."""
    email: str | None = None
    phone: str | None = None
    customer_no: str | None = None
    code: str | None = None
    message: str | None = None
    attempts: int = 0
    """Registration calls made for the row, over every run of the journal."""
    ambiguous: bool = False
    """Some call for this row may have been processed without our seeing the answer."""
    pending: bool = False
    """Waiting for the reconcile pass (its customer number, or whether it got registered, is unknown)."""
    retryable: bool = False
    """Failed only because transient errors outlasted the retries: a resumed run sends it again."""
    phone_key: str | None = None
    """Area code and phone as the reconcile pass matches them (see :func:`~.rows.phone_key`)."""
    trace: str | None = None
    """The trace id of the error that settled the row (its last call's), when it has one."""

    @property
    def outcome(self) -> RowOutcome:
        """The outcome this record reports (a row left in flight is ``not_attempted``, its message saying it may
        have been sent: see :data:`~.policy.MAYBE_SENT`)."""
        return _OUTCOMES[self.state]

    @property
    def probably_ours(self) -> bool:
        """``already_exists`` after an attempt of ours whose answer was lost."""
        return self.ambiguous and self.state == RowOutcome.ALREADY_EXISTS.value

    def result(self, *, resumed: bool = False) -> RowResult:
        """The :class:`RowResult` this record stands for (``resumed``: settled by an earlier run)."""
        outcome = self.outcome
        # Only a journal read back after the run ended holds a row in flight (no run reports one).
        message = MAYBE_SENT if self.state == IN_FLIGHT else self.message
        return RowResult(
            row=self.position + 1,
            email=self.email,
            phone=self.phone,
            outcome=outcome,
            customer_no=self.customer_no,
            code=self.code,
            message=message,
            attempts=self.attempts,
            probably_ours=self.probably_ours,
            resumed=resumed,
            trace=self.trace,
        )


_NAMES = tuple(field.name for field in attrs.fields(StoredRow))
COLUMNS = ", ".join(_NAMES)
"""The journal columns that make a :class:`StoredRow`, in its field order."""
_values_of = operator.attrgetter(*_NAMES)


class RowWrites:
    """One of the statements that record rows (:data:`UPSERT`, :data:`SENDING`, :data:`REGISTERED`), run over
    many rows with few executions: given the rows' parameters one row after the other, it takes 16 rows per
    execution, then 4, then 1 (a commit of 23 rows: 16, 4, 1, 1, 1).

    Each execution costs far more than a row's values (the sqlite3 module's statement cache, a reset, the GIL
    released and taken back around the step), and ``executemany`` pays that for every row. Each text is
    prepared once per journal, by the sqlite3 module's cache; its preparation costs about as much as what
    it saves on 300 rows, so there are three of them, not a text for every size."""

    __slots__ = ("_texts", "width")

    SIZES = (16, 4, 1)
    """The rows of one execution, largest first."""

    def __init__(self, text: Callable[[int], str], width: int) -> None:
        """``text``: the statement for a number of rows; ``width``: the parameters of one row."""
        self.width = width
        self._texts = [(size * width, text(size)) for size in self.SIZES]

    def write(self, cursor: sqlite3.Cursor, values: list[Any]) -> None:
        """Run the statement for every row of ``values``: the rows' parameters, one row after the other."""
        start, end = 0, len(values)
        for span, text in self._texts:
            while end - start >= span:
                cursor.execute(text, values[start : start + span])
                start += span


def _values(row: str, rows: int) -> str:
    return ", ".join([row] * rows)


UPSERT = RowWrites(
    lambda rows: (
        f"""
INSERT INTO rows ({COLUMNS}, email_key) VALUES {_values(f"({', '.join('?' * (len(_NAMES) + 1))})", rows)}
ON CONFLICT (position) DO UPDATE SET
    state = excluded.state,
    customer_no = excluded.customer_no,
    code = excluded.code,
    message = excluded.message,
    attempts = excluded.attempts,
    ambiguous = excluded.ambiguous,
    pending = excluded.pending,
    retryable = excluded.retryable,
    trace = excluded.trace,
    phone_key = excluded.phone_key,
    email_key = excluded.email_key
"""
    ),
    len(_NAMES) + 1,
)
"""A row's state, as it settled (see :func:`row_values`)."""


def row_values(row: StoredRow) -> tuple[Any, ...]:
    """The parameters of :data:`UPSERT` for ``row``."""
    return (*_values_of(row), email_key(row.email))


# The two statements of a registered row, each writing only what changed. Absent texts are bound as '' and
# stored as NULL: binding None (or a bool) makes the sqlite3 module look for an adapter, which cost more than
# the rest of the statement. The matching keys are written only with a row's settled state (UPSERT): the
# reconcile pass matches only rows waiting for it, which get there by UPSERT.
SENDING = RowWrites(
    lambda rows: (
        f"""
INSERT INTO rows (position, digest, state, email, phone, attempts, ambiguous)
VALUES {_values("(?, ?, 'in_flight', nullif(?, ''), nullif(?, ''), ?, ?)", rows)}
ON CONFLICT (position) DO UPDATE SET
    state = 'in_flight',
    customer_no = NULL,
    code = NULL,
    message = NULL,
    attempts = excluded.attempts,
    ambiguous = excluded.ambiguous,
    pending = 0,
    retryable = 0,
    trace = NULL
"""
    ),
    6,
)
"""A row about to be sent (its first record, or a new attempt of a recorded one): see :func:`sending_values`."""

# An upsert whose insert never happens. Only a run with a journal file writes it, and such a run notes every call
# (FIRST or SENDING) and makes it only once the commit holding that note is done (RowMachine.register waits for it; a
# commit that fails breaks the journal, and the call is never made); this statement comes after the call, so in a
# later commit (within one, _Notes.write runs FIRST and SENDING first anyway); and no statement deletes a row. So the
# row's record is always there to update: test_registered_record.py checks, on every path, that each registered row's
# call was noted in that commit or an earlier one. The digest and state it would insert are only there for NOT NULL
# (SQLite checks NOT NULL and CHECK constraints before the conflict, so no constraint can refuse the insert alone);
# were a placeholder ever inserted, its empty digest would make a resume refuse the journal (another input).
# Not an UPDATE ... CASE position: that bound each position twice, as ?NNN, and the sqlite3 module of Python 3.12.0
# to 3.12.3 takes ?NNN for a named placeholder and warns (DeprecationWarning) for each at each execution (CPython
# gh-117995). Here each parameter is a plain ? bound once, and the statement costs less than the UPDATE did.
REGISTERED = RowWrites(
    lambda rows: (
        f"""
INSERT INTO rows (position, customer_no, digest, state) VALUES {_values("(?, ?, '', 'registered')", rows)}
ON CONFLICT (position) DO UPDATE SET state = 'registered', customer_no = excluded.customer_no
"""
    ),
    2,
)
"""A row registered by the call its :data:`SENDING` record announced, given its position and customer number:
nothing else changes."""


def sending_values(row: ValidRow, attempts: int, ambiguous: bool) -> tuple[Any, ...]:
    """The parameters of :data:`SENDING` for ``row`` with ``attempts`` calls made, this one included."""
    request = row.request  # its e-mail and phone, read without the row's properties (a call each)
    return (row.position, row.digest, request.email or "", request.phone or "", attempts, int(ambiguous))


# New rows' first records (a run's rows noted ahead: a plain input, nothing recorded before): a plain INSERT,
# without SENDING's upsert, and the first attempt's counts as constants: two parameters fewer to bind per row.
# A row recorded before would fail the insert, and with it the commit, instead of being overwritten.
FIRST = RowWrites(
    lambda rows: (
        "INSERT INTO rows (position, digest, state, email, phone, attempts) VALUES "
        + _values("(?, ?, 'in_flight', nullif(?, ''), nullif(?, ''), 1)", rows)
    ),
    4,
)
"""New rows about to be sent for the first time: see :func:`first_values`."""


def first_values(rows: Iterable[ValidRow]) -> list[Any]:
    """The parameters of :data:`FIRST` for ``rows``, one row after the other."""
    values: list[Any] = []
    for row in rows:
        request = row.request
        values += (row.position, row.digest, request.email or "", request.phone or "")
    return values


_FLAGS = frozenset(_NAMES.index(name) for name in ("ambiguous", "pending", "retryable"))


def stored(values: Sequence[Any]) -> StoredRow:
    """The :class:`StoredRow` of a row of :data:`COLUMNS` (SQLite stores the flags as 0 and 1)."""
    fields: list[Any] = [bool(value) if i in _FLAGS else value for i, value in enumerate(values)]
    return StoredRow(*fields)


_REGISTERED_INDEX = "CREATE INDEX IF NOT EXISTS rows_registered ON rows (customer_no) WHERE state = 'registered'"


class SqlRows:
    """The rows table of an open journal file."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._indexed = False

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[StoredRow]:
        return [stored(row) for row in self._conn.execute(sql, params).fetchall()]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    def lookup(self, first: int, last: int) -> dict[int, StoredRow]:
        """Recorded rows with ``first <= position <= last``."""
        rows = self._read(f"SELECT {COLUMNS} FROM rows WHERE position BETWEEN ? AND ?", (first, last))
        return {row.position: row for row in rows}

    def last_position(self) -> int:
        """The highest position recorded, -1 for a new journal: later positions need no lookup."""
        return int(self._one("SELECT coalesce(max(position), -1) FROM rows")[0])

    def pending(self, after: int, before: int, limit: int) -> list[StoredRow]:
        """Up to ``limit`` rows waiting for the reconcile pass with ``after < position < before``, in order."""
        sql = f"SELECT {COLUMNS} FROM rows WHERE pending = 1 AND position > ? AND position < ? ORDER BY position"
        return self._read(sql + " LIMIT ?", (after, before, limit))

    def count_pending(self) -> int:
        """How many rows wait for the reconcile pass."""
        return int(self._one("SELECT count(*) FROM rows WHERE pending = 1")[0])

    def registered_row(self, customer_no: str) -> int | None:
        """The 1-based number of the input row recorded as having registered ``customer_no``, if any."""
        if not self._indexed:
            # Built when first needed (a lost answer's row found in the customer list, at the end of a run):
            # kept up from the start, it cost every registered row an index entry.
            self._conn.execute(_REGISTERED_INDEX)
            self._indexed = True
        found = self._one(
            "SELECT position FROM rows WHERE state = 'registered' AND customer_no = ? LIMIT 1", (customer_no,)
        )
        return None if found is None else int(found[0]) + 1

    def match(self, email_keys: Iterable[str], phone_keys: Iterable[str]) -> list[StoredRow]:
        """Pending rows without a customer number whose e-mail key or phone key is among those given."""
        emails, phones = sorted(set(email_keys)), sorted(set(phone_keys))
        if not emails and not phones:
            return []
        sql = (
            f"SELECT {COLUMNS} FROM rows WHERE pending = 1 AND customer_no IS NULL AND "
            f"(email_key IN ({','.join('?' * len(emails))}) OR phone_key IN ({','.join('?' * len(phones))}))"
        )
        return self._read(sql, [*emails, *phones])


class MemoryRows:
    """The rows of a run without a journal file: only rows waiting for the reconcile pass (indexed by their
    keys), and which row registered each customer number (the reconcile rules ask); other settled rows are
    forgotten once reported."""

    def __init__(self) -> None:
        self._pending: dict[int, StoredRow] = {}
        self._order: list[int] = []
        """The positions of :attr:`_pending`, sorted (rows settle roughly in input order: inserts append)."""
        self._by_key: dict[str, set[int]] = {}
        self._registered: dict[str, int] = {}

    @staticmethod
    def _keys(row: StoredRow) -> list[str]:
        email = email_key(row.email)
        return [key for key in (email and f"e:{email}", row.phone_key and f"p:{row.phone_key}") if key]

    def write(self, rows: Iterable[StoredRow]) -> None:
        """Record the rows' states."""
        for row in rows:
            old = self._pending.pop(row.position, None)
            if old is not None:
                del self._order[bisect.bisect_left(self._order, old.position)]
                for key in self._keys(old):
                    self._by_key[key].discard(old.position)
            if row.pending:
                self._pending[row.position] = row
                bisect.insort(self._order, row.position)
                for key in self._keys(row):
                    self._by_key.setdefault(key, set()).add(row.position)
            if row.state == RowOutcome.REGISTERED.value and row.customer_no is not None:
                self.registered(row.position, row.customer_no)

    def registered(self, position: int, customer_no: str) -> None:
        """The row at ``position`` registered ``customer_no``."""
        self._registered.setdefault(customer_no, position)

    def lookup(self, first: int, last: int) -> dict[int, StoredRow]:
        """Nothing: a run without a journal file has no earlier records."""
        return {}

    def last_position(self) -> int:
        """-1: nothing recorded before this run."""
        return -1

    def pending(self, after: int, before: int, limit: int) -> list[StoredRow]:
        """Up to ``limit`` rows waiting for the reconcile pass with ``after < position < before``, in order."""
        start = bisect.bisect_right(self._order, after)
        return [self._pending[p] for p in self._order[start : start + limit] if p < before]

    def count_pending(self) -> int:
        """How many rows wait for the reconcile pass."""
        return len(self._pending)

    def registered_row(self, customer_no: str) -> int | None:
        """The 1-based number of the input row that registered ``customer_no``, if any."""
        found = self._registered.get(customer_no)
        return None if found is None else found + 1

    def match(self, email_keys: Iterable[str], phone_keys: Iterable[str]) -> list[StoredRow]:
        """Pending rows without a customer number whose e-mail key or phone key is among those given."""
        keys = [f"e:{key}" for key in email_keys] + [f"p:{key}" for key in phone_keys]
        positions = sorted(set().union(*(self._by_key.get(key, ()) for key in keys)))
        return [row for row in map(self._pending.__getitem__, positions) if row.customer_no is None]
