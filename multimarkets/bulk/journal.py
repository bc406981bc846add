"""The journal of a run: a SQLite file recording each row's state as it changes and every call noted before
it is sent, so that a killed run can resume; or, for a run without a file, the same in memory.

Durability: WAL with ``synchronous=NORMAL``. A committed transaction survives the process being killed
(SIGKILL included: the data is in the OS page cache, and WAL recovery replays it), though not an OS crash or
power loss, which may roll back the last commits. Losing those is still safe: their rows are sent again and
the service's phone/e-mail uniqueness answers "already exists" for any that did get registered. Full fsyncs
would cost milliseconds per row for a guarantee the service already gives.

Group commit: changes are noted, and :meth:`Journal.durable` waits for the commit that includes everything
noted so far (a row is never reported, nor a request sent, before it is durable). The first to wait schedules
the commit for the loop's next turn, which writes everything noted by then in one transaction: the busier the
run, the larger each batch. While the tasks of the turn before added waiters, the commit waits one more turn
(at most :data:`GATHER_TURNS`): the rows of a busy run settle over a few turns (each turn wakes the tasks whose
answers the turn before read), and each commit costs far more than a row's statements. A quiet run, where a
turn adds no waiter, commits at once.

Commits run on the event loop as plain callbacks (a committer task cost each commit a task switch, a timer
and an event): without an fsync one costs tens of microseconds, and handing it to a thread cost more CPU and
wall time than it saved (the GIL hand-over). Closing with its final checkpoint, and opening an existing journal,
run in a thread; :mod:`.journal_file` sets the file up.

Flushing ahead: the close's checkpoint first syncs the WAL, which holds every commit of the run (~0.8 KiB per
row), and that sync waited for all of it to reach the disk. At each heartbeat tick (every
:data:`~.ledger.HEARTBEAT_INTERVAL`) a worker thread flushes the WAL written so far (``fdatasync`` on a
descriptor of its own), so the close's sync finds little left to write. It adds no guarantee and takes none
away: SQLite still makes its own syncs, in its own order; this only makes their data reach the disk sooner.
That descriptor is closed after the close, in the background: the close's checkpoint has synced the file and
deleted the WAL's name by then, and the WAL's blocks (~0.8 KiB per row) are freed when its last descriptor
goes. Freed by the close's own deletion, they cost a 600-row run's close about 9 ms of 25 on a busy disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, Protocol

import anyio

from .journal_file import JournalError, JournalWriteError, connect
from .ledger import HEARTBEAT_INTERVAL, Ledger, earlier_requests
from .memory import MemoryJournal
from .outcome import RowResult
from .rows import ValidRow
from .service import Origin
from .store import (
    COLUMNS,
    FIRST,
    IN_FLIGHT,
    REGISTERED,
    SENDING,
    UPSERT,
    SqlRows,
    StoredRow,
    first_values,
    row_values,
    sending_values,
    stored,
)

__all__ = ["GATHER_TURNS", "Journal", "JournalError", "MemoryJournal", "RunJournal", "open_journal", "read_results"]

GATHER_TURNS = 2
"""Loop turns a commit may wait beyond the first while its batch grows (see the module docs)."""

_flush: Callable[[int], None] | None = getattr(os, "fdatasync", None)
"""Flushes a file's data ahead of the close (see the module docs); where the OS lacks ``fdatasync`` (macOS,
Windows) nothing is flushed ahead."""


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
    def sending(self, row: ValidRow, attempts: int, ambiguous: bool) -> None: ...
    def sending_first(self, rows: list[ValidRow]) -> list[int]: ...
    def registered(self, position: int, customer_no: str) -> None: ...
    def durable(self) -> Awaitable[None]: ...
    def commit_soon(self) -> int: ...
    def committed(self, mark: int) -> bool: ...
    def note(self, *rows: StoredRow) -> None: ...
    async def record(self, *rows: StoredRow) -> None: ...
    def start_call(self, requests: int) -> int: ...
    def note_retry(self, key: int) -> Awaitable[None]: ...
    def end_call(self, key: int, requests: int | None) -> None: ...
    def earlier_requests(self, window: float, call_bound: float) -> list[float]: ...
    def in_flight(self) -> int | None: ...


async def open_journal(path: str | None, origin: Origin) -> RunJournal:
    """The journal at ``path`` (created if new, refused if it belongs to another service or account), or a
    journal in memory for ``path=None``."""
    if path is None:
        return MemoryJournal()
    journal = Journal(path)
    await journal.open(origin)
    return journal


class _Commit:
    """One commit shared by the changes noted while the previous one ran; its waiters learn if it failed."""

    __slots__ = ("waiters",)

    def __init__(self) -> None:
        self.waiters: list[asyncio.Future[None]] = []

    def release(self, error: JournalError | None) -> None:
        for waiter in self.waiters:
            if waiter.done():  # cancelled
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)


class _Notes:
    """The row changes noted for one commit, by statement, each row's parameters one after the other: each
    statement runs over its rows at once (see :class:`~.store.RowWrites`), in this order. A row has at most one
    note per commit (a call waits for the commit of its ``first`` or ``sending`` note before it is made), and any
    row's changes come in this order anyway: it is sent, registered, settled."""

    __slots__ = ("first", "registered", "sending", "settled")

    def __init__(self) -> None:
        self.first: list[Any] = []
        self.sending: list[Any] = []
        self.registered: list[Any] = []
        self.settled: list[Any] = []

    def write(self, cursor: sqlite3.Cursor) -> None:
        if self.first:
            FIRST.write(cursor, self.first)
        if self.sending:
            SENDING.write(cursor, self.sending)
        if self.registered:
            REGISTERED.write(cursor, self.registered)
        if self.settled:
            UPSERT.write(cursor, self.settled)


class Journal:
    """The journal file of one run (see the module docs): open it, :meth:`run` its committer alongside the
    work, :meth:`aclose` it."""

    rows: Rows
    _loop: asyncio.AbstractEventLoop
    """The loop the journal was opened in, kept: ``asyncio.get_running_loop()`` costs a system call
    (``getpid``), and :meth:`durable` runs once per row."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor | None = None
        """The one cursor of the commits: ``Connection.execute`` makes (and drops) a cursor for every statement,
        and a commit runs five or more."""
        self._ledger = Ledger()
        # The ledger's own methods, committed with the next commit: a call each per row, without a frame of ours.
        self.start_call = self._ledger.start_call
        """See :meth:`.Ledger.start_call`."""
        self.end_call = self._ledger.end_call
        """See :meth:`.Ledger.end_call`."""
        self._notes = _Notes()
        self._next = _Commit()
        self._asked = False
        """A commit is scheduled."""
        self._commits = 0
        """Commits made: the next one is numbered ``_commits + 1`` (see :meth:`commit_soon`)."""
        self._ended: asyncio.Future[None] | None = None
        """Set while :meth:`run` runs: a failed commit ends it with the error."""
        self._timer: asyncio.Handle | None = None
        self._broken: JournalError | None = None
        self._beat = float("-inf")
        """When the last ledger record (a heartbeat) was written (monotonic)."""
        self._lag = 0.0
        """The longest stall seen by the heartbeat or spent in one commit, in seconds."""
        self._wal: int | None = None
        """A descriptor of the WAL file, to flush it ahead of the close (see the module docs)."""
        self._wal_lock = threading.Lock()
        """Held by a flush ahead, and by the close while it closes :attr:`_wal`."""
        self._flushing: asyncio.Future[None] | None = None
        self._flushed = 0
        """Commits made when the last flush ahead started."""
        self._file: tuple[int, int] | None = None
        """The journal file's device and inode once open: SQLite goes on writing to a file removed or replaced
        under it, without an error, so the heartbeat checks the path still names it."""

    async def open(self, origin: Origin) -> None:
        """Create or open the file, take its lock and check it belongs to ``origin``."""
        self._loop = asyncio.get_running_loop()
        if _is_new(self.path):
            # A new journal takes about a millisecond of CPU to set up, without an fsync: on the loop, before the run
            # starts, rather than in a thread, whose hand-over took 0.4 ms more and up to 6 ms when the loop held the
            # GIL. An existing one may have a killed run's WAL to recover first: that runs in a thread.
            conn = connect(self.path, origin)
        else:
            conn = await anyio.to_thread.run_sync(connect, self.path, origin)
        self._conn, self._cursor = conn, conn.cursor()
        self.rows = SqlRows(conn)
        self._file = _identity(self.path)
        if _flush is not None:
            try:
                self._wal = os.open(self.path + "-wal", os.O_RDONLY)
            except OSError:  # flushing ahead is only a speed-up
                self._wal = None

    async def aclose(self) -> None:
        """Release the file (its final checkpoint runs in a thread)."""
        conn, self._conn, self._cursor = self._conn, None, None
        self._broken = self._broken or JournalError(f"the journal {self.path} is closed")
        if conn is not None:
            # Handed to a thread at once, and shielded: an abandoned run closes its journal from a cancelled anyio
            # scope, and a Ctrl-C or a timeout cancels the task itself (which anyio's shield does not stop). A
            # close not yet begun when that came left the file open, and locked against a resume, until garbage
            # collection; now the cancellation takes effect once the file is released (a second one at once).
            closing = self._loop.run_in_executor(None, conn.close)
            try:
                with anyio.CancelScope(shield=True):
                    try:
                        await asyncio.shield(closing)
                    except asyncio.CancelledError:
                        await asyncio.wait([closing])
                        raise
            finally:
                if self._wal is not None:
                    # Not awaited: the journal is released already (see the module docs).
                    self._loop.run_in_executor(None, self._drop_wal)

    def _drop_wal(self) -> None:
        """Close the WAL's descriptor of the flushes ahead, once the journal is closed (see the module docs)."""
        with self._wal_lock:  # after a flush under way; one that starts later finds nothing to flush
            wal, self._wal = self._wal, None
        if wal is not None:
            # A read-only descriptor of a deleted file: whatever closing it answers, nothing is lost.
            with contextlib.suppress(OSError):
                os.close(wal)

    def earlier_requests(self, window: float, call_bound: float) -> list[float]:
        """See :func:`.ledger.earlier_requests`."""
        assert self._conn is not None
        return earlier_requests(self._conn, window, call_bound)

    def in_flight(self) -> int | None:
        """Rows the file holds in flight: their call was noted, its answer is not recorded, and a resume sends them
        again as maybe sent. None when the file cannot be read (closed, or its failure is the reason to ask)."""
        if self._conn is None:
            return None
        try:
            return int(self._conn.execute("SELECT count(*) FROM rows WHERE state = ?", (IN_FLIGHT,)).fetchone()[0])
        except sqlite3.Error:
            return None

    def sending(self, row: ValidRow, attempts: int, ambiguous: bool) -> None:
        """Note that ``row`` is about to be sent, with ``attempts`` calls made, this one included."""
        self._notes.sending += sending_values(row, attempts, ambiguous)

    def sending_first(self, rows: list[ValidRow]) -> list[int]:
        """Note that each of ``rows`` (new rows) is about to be sent for the first time, and start its call of
        one request (see :meth:`.Ledger.start_call`): the calls' keys, in order. The rows of a chunk at once,
        not a :meth:`sending` and a ``start_call`` per row (three Python calls each)."""
        self._notes.first += first_values(rows)
        return self._ledger.start_calls(len(rows))

    def registered(self, position: int, customer_no: str) -> None:
        """Note that the call noted by :meth:`sending` registered the row at ``position`` as ``customer_no``."""
        self._notes.registered += (position, customer_no)

    def note(self, *rows: StoredRow) -> None:
        """Note the rows' states, committed with the next commit.

        Rows are written as given: the engine carries a row's ``ambiguous`` flag forward from what it read back,
        and clears it only when the reconcile pass shows another row of the input registered the customer.
        """
        settled = self._notes.settled
        for row in rows:
            settled += row_values(row)

    async def record(self, *rows: StoredRow) -> None:
        """:meth:`note` the rows' states and return once they are committed."""
        self.note(*rows)
        await self.durable()

    def note_retry(self, key: int) -> Awaitable[None]:
        """Note, durably, that call ``key`` is about to send one more HTTP request: await the result."""
        self._ledger.retried(key)
        return self.durable()

    def durable(self) -> Awaitable[None]:
        """Awaited, return once everything noted so far is committed. The awaitable is the commit's future for
        this waiter itself, not a coroutine around it: it is awaited once per row."""
        if self._broken is not None:
            raise self._broken
        self._ask(1)
        waiter = self._loop.create_future()
        self._next.waiters.append(waiter)
        return waiter

    def commit_soon(self) -> int:
        """Schedule a commit, without waiting for it: the number of the commit that will include everything noted
        so far, for :meth:`committed`."""
        self._ask(0)
        return self._commits + 1

    def _ask(self, waiting: int) -> None:
        """Schedule the next commit unless it is, ``waiting`` waiters for it so far (see :meth:`_gather`)."""
        if not self._asked:
            self._asked = True
            self._loop.call_soon(self._gather, self._next, waiting, GATHER_TURNS)

    def committed(self, mark: int) -> bool:
        """Whether the commit numbered ``mark`` (see :meth:`commit_soon`) is done."""
        return self._commits >= mark

    async def run(self) -> None:
        """Keep the heartbeat going, until cancelled; raise the error of a commit that failed. A commit writes the
        ledger's record (the process's heartbeat) when it notes calls or comes at least half a
        :data:`~.ledger.HEARTBEAT_INTERVAL` after the last record, and one is committed alone when an interval
        passed without any. How late a heartbeat comes, and how long a commit takes, is kept as the process's
        lag, which widens the margin a resumed run allows (see :func:`.ledger.earlier_requests`)."""
        loop = asyncio.get_running_loop()
        self._ended = loop.create_future()
        self._timer = loop.call_soon(self._heartbeat, loop.time())
        try:
            await self._ended
        finally:
            self._timer.cancel()
            self._timer = self._ended = None
            # No commit comes any more: whoever still waits learns it (the run is ending anyway).
            self._broken = self._broken or JournalError(f"the journal {self.path} is closed")
            self._next.release(self._broken)

    def _heartbeat(self, due: float) -> None:
        """The heartbeat's timer, set for ``due``: commit a heartbeat alone if none came since (how late the
        timer fired is a stall), then set it for an interval after the last one."""
        now = time.monotonic()
        if self._broken is None and _identity(self.path) != self._file:
            # Its records would go to a file nobody can open again: a resume would find none of them.
            self._break(JournalWriteError(f"cannot write the journal {self.path}: the file was removed or replaced"))
        if now >= self._beat + HEARTBEAT_INTERVAL:
            self._lag = max(self._lag, now - due)
            self._commit()
        due = self._beat + HEARTBEAT_INTERVAL
        self._timer = asyncio.get_running_loop().call_at(due, self._heartbeat, due)
        if self._wal is not None and self._flushing is None and self._flushed < self._commits:
            self._flushed = self._commits
            self._flushing = self._loop.run_in_executor(None, self._flush_ahead)
            self._flushing.add_done_callback(self._flushed_ahead)

    def _flush_ahead(self) -> None:
        assert _flush is not None
        with self._wal_lock:
            if self._wal is not None:
                _flush(self._wal)

    def _flushed_ahead(self, flushing: asyncio.Future[None]) -> None:
        self._flushing = None
        if not flushing.cancelled():
            # An error of the flush ahead is SQLite's to meet too: its next sync of the WAL reports the same
            # writeback error (Linux reports it on every descriptor open when it happened).
            flushing.exception()

    def _gather(self, commit: _Commit, waiting: int, turns: int) -> None:
        """``commit``, scheduled, at the start of a turn: while the last turn added waiters to the ``waiting``
        there were, and ``turns`` remain, wait one more turn (see the module docs); then commit, unless a
        heartbeat did meanwhile."""
        if commit is not self._next:
            return
        now = len(commit.waiters)
        if now > waiting and turns > 0 and self._broken is None:
            self._loop.call_soon(self._gather, commit, now, turns - 1)
            return
        self._commit()

    def _commit(self) -> None:
        self._asked = False
        commit, self._next = self._next, _Commit()
        if self._broken is not None:
            commit.release(self._broken)
            return
        notes, self._notes = self._notes, _Notes()
        began = time.monotonic()
        beat = self._ledger.changed or began - self._beat >= HEARTBEAT_INTERVAL / 2
        if beat:
            self._beat = began
        try:
            self._write(notes, beat)
        except sqlite3.Error as exc:
            self._break(JournalWriteError(f"cannot write the journal {self.path}: {exc}"))
            commit.release(self._broken)
            return
        self._commits += 1
        commit.release(None)
        self._lag = max(self._lag, time.monotonic() - began)

    def _break(self, error: JournalWriteError) -> None:
        """No commit succeeds from now on: each fails with ``error``, which ends :meth:`run` (and so the run)."""
        self._broken = error
        if self._ended is not None and not self._ended.done():
            self._ended.set_exception(error)

    def _write(self, notes: _Notes, beat: bool) -> None:
        cursor = self._cursor
        assert cursor is not None
        cursor.execute("BEGIN IMMEDIATE")
        try:
            notes.write(cursor)
            if beat:
                self._ledger.write(cursor, self._lag)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")


def _identity(path: str) -> tuple[int, int] | None:
    """The device and inode of the file at ``path`` (None: there is none)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _is_new(path: str) -> bool:
    """No file at ``path``, or an empty one."""
    try:
        return os.stat(path).st_size == 0
    except OSError:
        return True


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
