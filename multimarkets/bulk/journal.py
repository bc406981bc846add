"""The bulk journal: a SQLite file recording each row's state as it changes, so a killed run can resume.

Durability: WAL with ``synchronous=NORMAL``. A committed transaction survives the process being killed
(SIGKILL included: the data is in the OS page cache, and WAL recovery replays it), though not an OS crash or
power loss, which may roll back the last commits. Losing those is still safe: their rows are sent again and
the service's phone/e-mail uniqueness answers "already exists" for any that did get registered. Full fsyncs
would cost milliseconds per row for a guarantee the service already gives.

Writes are grouped: every change waits for the commit that includes it (a row is never reported, or sent,
before its state is durable), and the changes made by all the tasks that run in the same turn of the event
loop share one commit. Commits run on the event loop itself: without an fsync one costs tens of
microseconds, far less than handing it to a thread (measured: a thread hop per commit cut the rows per
second by a third to a half, the GIL hand-over costing more than the write). Opening, and closing with its
final checkpoint, run in a thread.

Besides each row's state, the journal keeps every call to the service (noted before it is sent), so that a
run resumed by a new process can keep to the rate window the killed one was still using (the engine loads
them into the shared limiter with ``KeyLimiter.occupy``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import anyio
import anyio.lowlevel
import attrs

from ..errors import ConfigurationError
from .outcome import RowOutcome, RowResult
from .rows import email_key
from .service import Origin

__all__ = ["IN_FLIGHT", "Journal", "JournalError", "StoredRow", "read_results"]

IN_FLIGHT = "in_flight"
"""State of a row whose registration call was (or may have been) under way."""

_FORMAT = "multimarkets.bulk.register/2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    position INTEGER PRIMARY KEY,
    digest TEXT NOT NULL,
    state TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    email_key TEXT,
    phone_key TEXT,
    customer_no TEXT,
    code TEXT,
    message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    ambiguous INTEGER NOT NULL DEFAULT 0,
    pending INTEGER NOT NULL DEFAULT 0,
    retryable INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    process TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    requests INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS processes (process TEXT PRIMARY KEY, alive REAL NOT NULL, lag REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rows_pending_email ON rows (email_key) WHERE pending = 1;
CREATE INDEX IF NOT EXISTS rows_pending_phone ON rows (phone_key) WHERE pending = 1;
CREATE INDEX IF NOT EXISTS rows_registered ON rows (customer_no) WHERE state = 'registered';
"""

_CALL_STARTED = "INSERT INTO calls (key, process, started, requests) VALUES (?, ?, ?, ?)"
_CALL_ENDED = "UPDATE calls SET ended = ?, requests = coalesce(?, requests) WHERE key = ?"
_CALL_RETRIED = "UPDATE calls SET requests = requests + 1 WHERE key = ?"
_ALIVE = """
INSERT INTO processes (process, alive, lag) VALUES (?, ?, ?)
ON CONFLICT (process) DO UPDATE SET alive = excluded.alive, lag = excluded.lag
"""

HEARTBEAT_INTERVAL = 0.1
"""Seconds between two records of a running process's last-alive time (see :meth:`Journal.heartbeat`)."""

ALIVE_MARGIN = 1.0
"""Seconds after its last recorded heartbeat within which a killed process is taken to have sent its last
request (plus the longest stall its event loop was seen to make; see :meth:`Journal.earlier_requests`)."""

PROCESS = uuid.uuid4().hex
"""Marks the calls this process made, which its own rate limiter already counts."""

_call_numbers = itertools.count(1)

_UPSERT = """
INSERT INTO rows (position, digest, state, email, phone, email_key, phone_key, customer_no, code, message,
                  attempts, ambiguous, pending, retryable)
VALUES (:position, :digest, :state, :email, :phone, :email_key, :phone_key, :customer_no, :code, :message,
        :attempts, :ambiguous, :pending, :retryable)
ON CONFLICT (position) DO UPDATE SET
    state = excluded.state,
    customer_no = excluded.customer_no,
    code = excluded.code,
    message = excluded.message,
    attempts = rows.attempts + excluded.attempts,
    ambiguous = excluded.ambiguous,
    pending = excluded.pending,
    retryable = excluded.retryable
"""


class JournalError(ConfigurationError):
    """The journal cannot be used for this run: another input, service, API key or company, another format,
    in use, or unreadable."""


def _fingerprint(salt: bytes, api_key: str) -> str:
    # Keyed with a random salt of the journal, so the plain file does not let anyone test guesses of a key
    # against journals in general (and holds nothing that signs a request).
    return hmac.new(salt, api_key.encode("utf-8"), hashlib.sha256).hexdigest()


def _claim(conn: sqlite3.Connection, path: str, origin: Origin) -> None:
    """Record ``origin`` in a new journal, or refuse one recorded with another service, key or company."""
    meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    if "base_url" not in meta:
        salt = os.urandom(16)
        conn.executemany(
            "INSERT INTO meta (name, value) VALUES (?, ?)",
            [
                ("base_url", origin.base_url),
                ("company_id", origin.company_id),
                ("api_key_salt", salt.hex()),
                ("api_key_hmac", _fingerprint(salt, origin.api_key)),
            ],
        )
        return
    mismatches = []
    if meta["base_url"] != origin.base_url:
        mismatches.append(f"base URL {meta['base_url']} (this client: {origin.base_url})")
    if not hmac.compare_digest(meta["api_key_hmac"], _fingerprint(bytes.fromhex(meta["api_key_salt"]), origin.api_key)):
        mismatches.append("another API key")
    if meta["company_id"] != origin.company_id:
        mismatches.append(f"company id {meta['company_id']} (this client: {origin.company_id})")
    if mismatches:
        raise JournalError(
            f"the journal {path} belongs to another service or account: it was written with "
            f"{'; '.join(mismatches)}. Nothing was sent; use this journal with the client it was written with, "
            "or start a new journal."
        )


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
    ambiguous: bool = attrs.field(default=False, converter=bool)
    """Some call for this row may have been processed without our seeing the answer."""
    pending: bool = attrs.field(default=False, converter=bool)
    """Waiting for the reconcile pass (its customer number, or whether it got registered, is unknown)."""
    retryable: bool = attrs.field(default=False, converter=bool)
    """Failed only because transient errors outlasted the retries: a resumed run sends it again."""
    phone_key: str | None = None
    """Area code and phone as the reconcile pass matches them (see :func:`~.rows.phone_key`)."""

    def result(self) -> RowResult:
        """The :class:`RowResult` this record stands for."""
        outcome = RowOutcome(self.state) if self.state != IN_FLIGHT else RowOutcome.NOT_ATTEMPTED
        return RowResult(
            row=self.position + 1,
            email=self.email,
            phone=self.phone,
            outcome=outcome,
            customer_no=self.customer_no,
            code=self.code,
            message=self.message,
            attempts=self.attempts,
            probably_ours=outcome is RowOutcome.ALREADY_EXISTS and self.ambiguous,
        )


_COLUMNS = ", ".join(field.name for field in attrs.fields(StoredRow))
"""The journal columns that make a :class:`StoredRow`, in its field order."""


def _stored(values: Sequence[Any]) -> StoredRow:
    return StoredRow(*values)


def _connect(path: str, origin: Origin, *, durable: bool) -> sqlite3.Connection:
    try:
        # The rows hold personal data: a new journal is private to its owner. SQLite gives its -wal file the
        # mode of the database file.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except OSError as exc:
        raise JournalError(f"cannot open journal {path}: {exc.strerror}") from None
    except sqlite3.Error as exc:
        raise JournalError(f"cannot open journal {path}: {exc}") from None
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        # Exclusive locking: a second run on the same journal is refused instead of interleaving with this one.
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {'NORMAL' if durable else 'OFF'}")
        conn.execute("BEGIN EXCLUSIVE")
        conn.executescript(_SCHEMA)  # commits the BEGIN above
        found = conn.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
        if found is None:
            if conn.execute("SELECT 1 FROM rows LIMIT 1").fetchone() is not None:
                raise JournalError(f"{path} is not a multimarkets bulk journal")
            conn.execute("INSERT INTO meta (name, value) VALUES ('format', ?)", (_FORMAT,))
        elif found[0] != _FORMAT:
            raise JournalError(f"{path} is a journal of another kind or version ({found[0]}), not {_FORMAT}")
        _claim(conn, path, origin)
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc):
            raise JournalError(f"journal {path} is in use by another run") from None
        raise JournalError(f"cannot use journal {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise JournalError(f"{path} is not a usable journal: {exc}") from None
    except JournalError:
        conn.close()
        raise
    return conn


class _Commit:
    """One commit shared by the changes of one loop turn; its waiters learn whether it failed."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.error: JournalError | None = None


class Journal:
    """The journal of one run. ``path=None`` keeps it in a temporary file deleted by :meth:`aclose` (the run
    still spills its state to disk instead of memory, but cannot be resumed)."""

    def __init__(self, path: str | os.PathLike[str] | None, origin: Origin) -> None:
        self._origin = origin
        self._temporary = path is None
        if path is None:
            fd, name = tempfile.mkstemp(prefix="multimarkets-bulk-", suffix=".db")
            os.close(fd)
            self.path = name
        else:
            self.path = os.fspath(path)
        self._conn: sqlite3.Connection | None = None
        self._pending: list[dict[str, Any]] = []
        self._calls: list[tuple[str, tuple[Any, ...]]] = []
        self._next_commit: _Commit | None = None
        self._broken: JournalError | None = None
        self._last_commit = time.monotonic()
        self._lag = 0.0
        """The longest stall of the event loop seen by the heartbeat or spent in one commit, in seconds."""

    @property
    def persistent(self) -> bool:
        """False for the temporary journal of a run started without one."""
        return not self._temporary

    async def open(self) -> None:
        """Create or open the file and take its lock."""
        durable = not self._temporary
        self._conn = await anyio.to_thread.run_sync(lambda: _connect(self.path, self._origin, durable=durable))

    async def aclose(self) -> None:
        """Release the file (and delete it if temporary)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await anyio.to_thread.run_sync(conn.close)
        if self._temporary:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path + suffix)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError("the journal is not open")
        return self._conn

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[StoredRow]:
        return [_stored(row) for row in self._connection().execute(sql, params).fetchall()]

    def lookup(self, first: int, last: int) -> dict[int, StoredRow]:
        """Recorded rows with ``first <= position <= last``."""
        rows = self._read(f"SELECT {_COLUMNS} FROM rows WHERE position BETWEEN ? AND ?", (first, last))
        return {row.position: row for row in rows}

    def pending(self, after: int, before: int, limit: int) -> list[StoredRow]:
        """Up to ``limit`` rows waiting for the reconcile pass with ``after < position < before``, in order."""
        sql = f"SELECT {_COLUMNS} FROM rows WHERE pending = 1 AND position > ? AND position < ? ORDER BY position"
        return self._read(sql + " LIMIT ?", (after, before, limit))

    def _scalar(self, sql: str) -> int:
        return int(self._connection().execute(sql).fetchone()[0])

    def count_pending(self) -> int:
        """How many rows wait for the reconcile pass."""
        return self._scalar("SELECT count(*) FROM rows WHERE pending = 1")

    def last_position(self) -> int:
        """The highest position recorded, -1 for a new journal: later positions need no lookup."""
        return self._scalar("SELECT coalesce(max(position), -1) FROM rows")

    def registered_row(self, customer_no: str) -> int | None:
        """The 1-based number of the input row recorded as having registered ``customer_no``, if any."""
        found = (
            self._connection()
            .execute("SELECT position FROM rows WHERE state = 'registered' AND customer_no = ? LIMIT 1", (customer_no,))
            .fetchone()
        )
        return None if found is None else int(found[0]) + 1

    def match(self, email_keys: Iterable[str], phone_keys: Iterable[str]) -> list[StoredRow]:
        """Pending rows without a customer number whose e-mail key or phone key is among those given."""
        emails, phones = sorted(set(email_keys)), sorted(set(phone_keys))
        if not emails and not phones:
            return []
        sql = (
            f"SELECT {_COLUMNS} FROM rows WHERE pending = 1 AND customer_no IS NULL AND "
            f"(email_key IN ({','.join('?' * len(emails))}) OR phone_key IN ({','.join('?' * len(phones))}))"
        )
        return self._read(sql, [*emails, *phones])

    def start_call(self, requests: int) -> str:
        """Note a call to the service that starts now with ``requests`` HTTP requests: 1 when each retry is noted
        with :meth:`note_retry`, else the most it can make. Returns its key; it is committed with the next
        :meth:`record` (which may record no row)."""
        key = f"{PROCESS}:{next(_call_numbers)}"
        self._calls.append((_CALL_STARTED, (key, PROCESS, time.time(), requests)))
        return key

    async def note_retry(self, key: str) -> None:
        """Note, durably, that call ``key`` is about to send one more HTTP request."""
        self._calls.append((_CALL_RETRIED, (key,)))
        await self.record()

    def end_call(self, key: str, requests: int | None) -> None:
        """Note that call ``key`` ended now, after ``requests`` HTTP requests (None: not known)."""
        self._calls.append((_CALL_ENDED, (time.time(), requests, key)))

    def earlier_requests(self, window: float, call_bound: float) -> list[float]:
        """The latest moments at which requests of other processes may have reached the service within the
        last ``window`` seconds (wall clock, oldest first, one entry per request noted before it was sent). A
        call that ended counts at its end; one cut off by the end of its process at the latest moment that
        process can have sent it: the earliest of now, its start plus ``call_bound`` (the longest a call can
        last), and the process's last heartbeat plus a safety margin.

        The margin. A request is noted (committed) before it is sent, and it is sent by the event loop that
        also records the heartbeat: every commit records the time, and a timer commits one when
        :data:`HEARTBEAT_INTERVAL` passed without any. So while the loop runs, no request is written more than
        one interval plus the loop's lag after a recorded heartbeat; if the process died later, the request was
        still written before its last heartbeat plus that much. Once written, the bytes are in the kernel and
        reach the service even after a SIGKILL, within a network transit. The margin is therefore
        :data:`ALIVE_MARGIN` (1 s: ten intervals, which covers the interval, the ordinary loop lag of a run
        whose synchronous steps take microseconds to a few milliseconds, and the transit) plus the longest
        stall the process itself measured (``lag``: late heartbeat timers and slow commits, e.g. a WAL
        checkpoint waiting on a busy disk), so a process whose loop was seen to stall gets a wider margin. What
        no heartbeat can see is a first stall longer than the margin that ends by sending a request and is
        followed by the kill before the next heartbeat; the bound by ``call_bound`` and by now still hold
        then, and the service would count at most the requests sent in that stall a little later than we do.
        """
        now = time.time()
        found: list[float] = []
        for started, ended, requests, alive, lag in self._connection().execute(
            "SELECT c.started, c.ended, c.requests, p.alive, p.lag FROM calls AS c "
            "LEFT JOIN processes AS p ON p.process = c.process "
            "WHERE c.process != ? AND coalesce(c.ended, c.started + ?) > ?",
            (PROCESS, call_bound, now - window),
        ):
            if ended is None:
                ended = min(now, started + call_bound)
                if alive is not None:
                    ended = min(ended, alive + ALIVE_MARGIN + lag)
            found += [ended] * requests
        return sorted(found)

    async def heartbeat(self, interval: float = HEARTBEAT_INTERVAL) -> None:
        """Record that this process is alive at least every ``interval`` seconds, until cancelled.

        Every commit already records it (see :meth:`_commit`), so this only commits in quiet moments (no row
        settled, no call noted for ``interval``), sharing the loop turn's commit like any change. Its own
        lateness is kept as the loop's lag, which widens the margin a resumed run allows (see
        :meth:`earlier_requests`)."""
        while True:
            due = self._last_commit + interval
            now = time.monotonic()
            if now < due:
                await anyio.sleep(due - now)
                self._lag = max(self._lag, time.monotonic() - due)
                continue
            await self.record()

    async def record(self, *rows: StoredRow, new_attempt: bool = False) -> None:
        """Write the rows' states and return once they are committed. ``new_attempt`` counts one more call.

        Rows are written as given: the engine carries a row's ``ambiguous`` flag forward from what it read back,
        and clears it only when the reconcile pass shows another row of the input registered the customer.
        """
        if self._broken is not None:
            raise self._broken
        for row in rows:
            values = attrs.asdict(row)
            values["email_key"] = email_key(row.email)
            values["attempts"] = 1 if new_attempt else 0
            self._pending.append(values)
        commit = self._next_commit
        if commit is not None:
            await commit.done.wait()
        else:
            self._next_commit = commit = _Commit()
            try:
                await anyio.lowlevel.checkpoint()  # the other tasks ready in this loop turn add their changes meanwhile
            finally:
                # Even when cancelled, commit what the others are waiting for (no await from here on).
                self._next_commit = None
                batch, self._pending = self._pending, []
                calls, self._calls = self._calls, []
                try:
                    self._commit(batch, calls)
                except sqlite3.Error as exc:
                    self._broken = commit.error = JournalError(f"cannot write the journal {self.path}: {exc}")
                commit.done.set()
        if commit.error is not None:
            raise commit.error

    def _commit(self, batch: list[dict[str, Any]], calls: list[tuple[str, tuple[Any, ...]]]) -> None:
        conn = self._connection()
        began = time.monotonic()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_UPSERT, batch)
            for sql, params in calls:
                conn.execute(sql, params)
            # The heartbeat rides on every commit: this process is alive now (see earlier_requests).
            conn.execute(_ALIVE, (PROCESS, time.time(), self._lag))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._last_commit = ended = time.monotonic()
        self._lag = max(self._lag, ended - began)


def read_results(path: str | os.PathLike[str]) -> Iterator[RowResult]:
    """Every row's result recorded in the journal at ``path``, in input order (the file must not be in use)."""
    if not os.path.exists(path):
        raise JournalError(f"no journal at {os.fspath(path)}")
    conn = sqlite3.connect(os.fspath(path))
    try:
        for values in conn.execute(f"SELECT {_COLUMNS} FROM rows ORDER BY position"):
            yield _stored(values).result()
    except sqlite3.OperationalError as exc:
        raise JournalError(f"cannot read journal {path}: {exc}") from None
    finally:
        conn.close()
