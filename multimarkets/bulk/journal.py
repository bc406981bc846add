"""The journal of a run: a SQLite file recording each row's state as it changes and every call noted before
it is sent, so that a killed run can resume; or, for a run without a file, the same in memory.

Durability: WAL with ``synchronous=NORMAL``. A committed transaction survives the process being killed
(SIGKILL included: the data is in the OS page cache, and WAL recovery replays it), though not an OS crash or
power loss, which may roll back the last commits. Losing those is still safe: their rows are sent again and
the service's phone/e-mail uniqueness answers "already exists" for any that did get registered. Full fsyncs
would cost milliseconds per row for a guarantee the service already gives.

Group commit: changes are noted, and :meth:`Journal.durable` waits for the commit that includes everything
noted so far (a row is never reported, nor a request sent, before it is durable); one committer task
(:meth:`Journal.run`) writes everything noted since its previous commit in one transaction: the busier the
run, the larger each batch. Commits run on the event loop: without an fsync one costs a few hundred
microseconds, and handing it to a thread cost more CPU and wall time than it saved (the GIL hand-over).
Opening, and closing with its final checkpoint, run in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import anyio

from ..errors import ConfigurationError
from .ledger import HEARTBEAT_INTERVAL, LEDGER_SCHEMA, Ledger, earlier_requests
from .memory import MemoryJournal
from .outcome import RowResult
from .rows import PreparedRow
from .service import Origin
from .store import (
    COLUMNS,
    REGISTERED,
    ROWS_SCHEMA,
    SENDING,
    UPSERT,
    SqlRows,
    StoredRow,
    row_values,
    sending_values,
    stored,
)

__all__ = ["Journal", "JournalError", "MemoryJournal", "RunJournal", "open_journal", "read_results"]

_FORMAT = "multimarkets.bulk.register/4"
_META_SCHEMA = "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
_SCHEMA = [statement for statement in (_META_SCHEMA + ROWS_SCHEMA + LEDGER_SCHEMA).split(";") if statement.strip()]
"""The statements that create a new journal's tables."""


class JournalError(ConfigurationError):
    """The journal cannot be used for this run: another input, service, API key (Manager API: app id) or
    company, another format, in use, or unreadable."""


class Rows(Protocol):
    """The reads the engine makes of the row store (:class:`~.store.SqlRows`, :class:`~.store.MemoryRows`)."""

    def lookup(self, first: int, last: int) -> dict[int, StoredRow]: ...
    def last_position(self) -> int: ...
    def pending(self, after: int, before: int, limit: int) -> list[StoredRow]: ...
    def count_pending(self) -> int: ...
    def registered_row(self, customer_no: str) -> int | None: ...
    def match(self, email_keys: Iterable[str], phone_keys: Iterable[str]) -> list[StoredRow]: ...


class RunJournal(Protocol):
    """What the engine uses of a journal, with a file (:class:`Journal`) or without (:class:`MemoryJournal`)."""

    @property
    def rows(self) -> Rows:
        """The recorded rows."""

    @property
    def path(self) -> str | None:
        """The journal file, None in memory."""

    async def aclose(self) -> None: ...
    async def run(self) -> None: ...
    def sending(self, row: PreparedRow, attempts: int, ambiguous: bool) -> None: ...
    def registered(self, position: int, customer_no: str) -> None: ...
    async def durable(self) -> None: ...
    def note(self, *rows: StoredRow) -> None: ...
    async def record(self, *rows: StoredRow) -> None: ...
    def start_call(self, requests: int) -> int: ...
    async def note_retry(self, key: int) -> None: ...
    def end_call(self, key: int, requests: int | None) -> None: ...
    def earlier_requests(self, window: float, call_bound: float) -> list[float]: ...


async def open_journal(path: str | None, origin: Origin) -> RunJournal:
    """The journal at ``path`` (created if new, refused if it belongs to another service or account), or a
    journal in memory for ``path=None``."""
    if path is None:
        return MemoryJournal()
    journal = Journal(path)
    await journal.open(origin)
    return journal


def _fingerprint(salt: bytes, api_key: str) -> str:
    # Keyed with a random salt of the journal, so the plain file does not let anyone test guesses of a key
    # against journals in general (and holds nothing that signs a request).
    return hmac.new(salt, api_key.encode("utf-8"), hashlib.sha256).hexdigest()


def _claim(conn: sqlite3.Connection, path: str, origin: Origin) -> None:
    """Record ``origin`` in a new journal, or refuse one recorded with another service, key or company."""
    meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    if "base_url" not in meta:
        salt = os.urandom(16)
        recorded = [
            ("base_url", origin.base_url),
            ("key_name", origin.key_name),  # what api_key_hmac fingerprints
            ("api_key_salt", salt.hex()),
            ("api_key_hmac", _fingerprint(salt, origin.api_key)),
        ]
        if origin.company_id is not None:
            recorded.append(("company_id", origin.company_id))
        conn.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", recorded)
        return
    mismatches = []
    if meta["base_url"] != origin.base_url:
        mismatches.append(f"base URL {meta['base_url']} (this client: {origin.base_url})")
    if not hmac.compare_digest(meta["api_key_hmac"], _fingerprint(bytes.fromhex(meta["api_key_salt"]), origin.api_key)):
        mismatches.append(f"another {origin.key_name}")
    company_id = meta.get("company_id") or None  # a Manager journal of an earlier version recorded ""
    if company_id is not None and origin.company_id is not None and company_id != origin.company_id:
        mismatches.append(f"company id {company_id} (this client: {origin.company_id})")
    if mismatches:
        raise JournalError(
            f"the journal {path} belongs to another service or account: it was written with "
            f"{'; '.join(mismatches)}. Nothing was sent; use this journal with the client it was written with, "
            "or start a new journal."
        )


def _is_new(conn: sqlite3.Connection, path: str) -> bool:
    """True for an empty file; refuse one that is not a journal of this format (before writing anything)."""
    if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None:
        return True
    try:
        found = conn.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
    except sqlite3.OperationalError:  # no meta table
        found = None
    if found is None:
        raise JournalError(f"{path} is not a multimarkets bulk journal")
    if found[0] != _FORMAT:
        raise JournalError(f"{path} is a journal of another kind or version ({found[0]}), not {_FORMAT}")
    return False


def _connect(path: str, origin: Origin) -> sqlite3.Connection:
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
        # The set-up (the switch to WAL, the schema, the meta) is one transaction written without an fsync,
        # which cost tens of milliseconds per run on a busy disk: until the first checkpoint (which syncs the WAL,
        # then the file), an OS crash may lose it along with the commits that followed, as it may lose any
        # commits made since the last checkpoint (see the module docs); a kill loses none of it.
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN EXCLUSIVE")
        if _is_new(conn, path):
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT INTO meta (name, value) VALUES ('format', ?)", (_FORMAT,))
        _claim(conn, path, origin)
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous = NORMAL")
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
    """One commit shared by the changes noted while the previous one ran; its waiters learn if it failed."""

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.error: JournalError | None = None


def _wake(waker: asyncio.Future[None]) -> None:
    if not waker.done():
        waker.set_result(None)


class _Notes:
    """The row changes noted for one commit, by statement: each runs as one ``executemany``, in this order.
    A row has at most one note per commit (a call waits for the commit of its ``sending`` note before it is
    made), and any row's changes come in this order anyway: it is sent, registered, settled."""

    __slots__ = ("registered", "sending", "settled")

    def __init__(self) -> None:
        self.sending: list[tuple[Any, ...]] = []
        self.registered: list[tuple[str, int]] = []
        self.settled: list[tuple[Any, ...]] = []

    def write(self, conn: sqlite3.Connection) -> None:
        if self.sending:
            conn.executemany(SENDING, self.sending)
        if self.registered:
            conn.executemany(REGISTERED, self.registered)
        if self.settled:
            conn.executemany(UPSERT, self.settled)


class Journal:
    """The journal file of one run (see the module docs): open it, :meth:`run` its committer alongside the
    work, :meth:`aclose` it."""

    rows: Rows

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._ledger = Ledger()
        self._notes = _Notes()
        self._next = _Commit()
        self._wanted = False
        self._waker: asyncio.Future[None] | None = None
        """Set while the committer sleeps: resolving it wakes the committer."""
        self._broken: JournalError | None = None
        self._beat = float("-inf")
        """When the last ledger record (a heartbeat) was written (monotonic)."""
        self._lag = 0.0
        """The longest stall seen by the heartbeat or spent in one commit, in seconds."""

    async def open(self, origin: Origin) -> None:
        """Create or open the file, take its lock and check it belongs to ``origin``."""
        self._conn = conn = await anyio.to_thread.run_sync(_connect, self.path, origin)
        self.rows = SqlRows(conn)

    async def aclose(self) -> None:
        """Release the file (its final checkpoint runs in a thread)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            # Shielded: an abandoned run closes its journal from a cancelled scope, where an unshielded await
            # would give up before close() ran and leave the file open (and locked) until garbage collection.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(conn.close)

    def earlier_requests(self, window: float, call_bound: float) -> list[float]:
        """See :func:`.ledger.earlier_requests`."""
        assert self._conn is not None
        return earlier_requests(self._conn, window, call_bound)

    def sending(self, row: PreparedRow, attempts: int, ambiguous: bool) -> None:
        """Note that ``row`` is about to be sent, with ``attempts`` calls made, this one included."""
        self._notes.sending.append(sending_values(row, attempts, ambiguous))

    def registered(self, position: int, customer_no: str) -> None:
        """Note that the call noted by :meth:`sending` registered the row at ``position`` as ``customer_no``."""
        self._notes.registered.append((customer_no, position))

    def note(self, *rows: StoredRow) -> None:
        """Note the rows' states, committed with the next commit.

        Rows are written as given: the engine carries a row's ``ambiguous`` flag forward from what it read back,
        and clears it only when the reconcile pass shows another row of the input registered the customer.
        """
        self._notes.settled.extend(map(row_values, rows))

    async def record(self, *rows: StoredRow) -> None:
        """:meth:`note` the rows' states and return once they are committed."""
        self.note(*rows)
        await self.durable()

    def start_call(self, requests: int) -> int:
        """See :meth:`.Ledger.start_call`: committed with the next commit."""
        return self._ledger.start_call(requests)

    async def note_retry(self, key: int) -> None:
        """Note, durably, that call ``key`` is about to send one more HTTP request."""
        self._ledger.retried(key)
        await self.durable()

    def end_call(self, key: int, requests: int | None) -> None:
        """See :meth:`.Ledger.end_call`: committed with the next commit."""
        self._ledger.end_call(key, requests)

    async def durable(self) -> None:
        """Return once everything noted so far is committed."""
        if self._broken is not None:
            raise self._broken
        commit = self._next
        self._wanted = True
        if self._waker is not None:
            _wake(self._waker)
        await commit.done.wait()
        if commit.error is not None:
            raise commit.error

    async def _idle(self) -> None:
        """Sleep until a change is wanted durable or the heartbeat is due; a late heartbeat is a stall."""
        loop = asyncio.get_running_loop()
        due = self._beat + HEARTBEAT_INTERVAL
        self._waker = waker = loop.create_future()
        timer = loop.call_later(max(0.0, due - time.monotonic()), _wake, waker)
        try:
            await waker
        finally:
            timer.cancel()
            self._waker = None
        if not self._wanted:
            self._lag = max(self._lag, time.monotonic() - due)

    async def run(self) -> None:
        """Commit what is noted, until cancelled. A commit writes the ledger's record (the process's heartbeat)
        when it notes calls or comes at least half a :data:`~.ledger.HEARTBEAT_INTERVAL` after the last record,
        and one is committed alone when an interval passed without any. How late a heartbeat comes, and how long
        a commit takes, is kept as the process's lag, which widens the margin a resumed run allows (see
        :func:`.ledger.earlier_requests`)."""
        try:
            while True:
                if not self._wanted:
                    await self._idle()
                self._wanted = False
                commit, self._next = self._next, _Commit()
                notes, self._notes = self._notes, _Notes()
                began = time.monotonic()
                beat = self._ledger.changed or began - self._beat >= HEARTBEAT_INTERVAL / 2
                if beat:
                    self._beat = began
                try:
                    self._write(notes, beat)
                except sqlite3.Error as exc:
                    self._broken = commit.error = JournalError(f"cannot write the journal {self.path}: {exc}")
                    raise self._broken from None
                finally:
                    commit.done.set()
                self._lag = max(self._lag, time.monotonic() - began)
        finally:
            # No commit comes any more: whoever still waits learns it (the run is ending anyway).
            self._broken = self._broken or JournalError(f"the journal {self.path} is closed")
            self._next.error = self._broken
            self._next.done.set()

    def _write(self, notes: _Notes, beat: bool) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            notes.write(conn)
            if beat:
                self._ledger.write(conn, self._lag)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def read_results(path: str | os.PathLike[str]) -> Iterator[RowResult]:
    """Every row's result recorded in the journal at ``path``, in input order (the file must not be in use)."""
    if not os.path.exists(path):
        raise JournalError(f"no journal at {os.fspath(path)}")
    conn = sqlite3.connect(os.fspath(path))
    try:
        for values in conn.execute(f"SELECT {COLUMNS} FROM rows ORDER BY position"):
            yield stored(values).result()
    except sqlite3.OperationalError as exc:
        raise JournalError(f"cannot read journal {path}: {exc}") from None
    finally:
        conn.close()
