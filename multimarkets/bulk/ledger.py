"""The request ledger: every call to the service, noted in the journal before it is sent, and each process's
last-alive time, so that a run resumed by a new process keeps to the rate window the killed one was still
using (the engine counts them in the limiter through :class:`~.service.Pacing`)."""

from __future__ import annotations

import itertools
import sqlite3
import time
import uuid
from typing import Any

__all__ = ["ALIVE_MARGIN", "HEARTBEAT_INTERVAL", "LEDGER_SCHEMA", "PROCESS", "Ledger", "earlier_requests", "heartbeat"]

# WITHOUT ROWID: a call is updated by its key, so the key is the table (a rowid table would write a key index
# beside it on every commit).
LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    process TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    requests INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS processes (process TEXT PRIMARY KEY, alive REAL NOT NULL, lag REAL NOT NULL);
"""

HEARTBEAT_INTERVAL = 0.1
"""Seconds between two records of a running process's last-alive time (see :meth:`.Journal.run`)."""

ALIVE_MARGIN = 1.0
"""Seconds after its last recorded heartbeat within which a killed process is taken to have sent its last
request (plus the longest stall its event loop was seen to make; see :func:`earlier_requests`)."""

PROCESS = uuid.uuid4().hex
"""Marks the calls this process made, which its own rate limiter already counts."""

_STARTED = "INSERT INTO calls (key, process, started, requests) VALUES (?, ?, ?, ?)"
_ENDED = "UPDATE calls SET ended = ?, requests = coalesce(?, requests) WHERE key = ?"
_RETRIED = "UPDATE calls SET requests = requests + 1 WHERE key = ?"
_ALIVE = """
INSERT INTO processes (process, alive, lag) VALUES (?, ?, ?)
ON CONFLICT (process) DO UPDATE SET alive = excluded.alive, lag = excluded.lag
"""

_call_numbers = itertools.count(1)


class Ledger:
    """This process's notes on its calls, waiting for the journal's next commit."""

    def __init__(self) -> None:
        self._notes: list[tuple[str, tuple[Any, ...]]] = []

    def start_call(self, requests: int) -> str:
        """Note a call that starts now with ``requests`` HTTP requests: 1 when each retry is noted with
        :meth:`retried`, else the most it can make. Returns its key."""
        # Zero-padded, so that a process's keys sort in the order they are made: each commit then appends to the
        # table's last page instead of dirtying pages all over it.
        key = f"{PROCESS}:{next(_call_numbers):012d}"
        self._notes.append((_STARTED, (key, PROCESS, time.time(), requests)))
        return key

    def retried(self, key: str) -> None:
        """Note that call ``key`` sends one more HTTP request."""
        self._notes.append((_RETRIED, (key,)))

    def end_call(self, key: str, requests: int | None) -> None:
        """Note that call ``key`` ended now, after ``requests`` HTTP requests (None: not known)."""
        self._notes.append((_ENDED, (time.time(), requests, key)))

    def take(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The notes to commit now, in order."""
        notes, self._notes = self._notes, []
        return notes


def heartbeat(lag: float) -> tuple[str, tuple[Any, ...]]:
    """The note that this process is alive now, having seen a stall of at most ``lag`` seconds."""
    return _ALIVE, (PROCESS, time.time(), lag)


def earlier_requests(conn: sqlite3.Connection, window: float, call_bound: float) -> list[float]:
    """The latest moments at which requests of other processes may have reached the service within the last
    ``window`` seconds (wall clock, oldest first, one entry per request noted before it was sent). A call that
    ended counts at its end; one cut off by the end of its process at the latest moment that process can have
    sent it: the earliest of now, its start plus ``call_bound`` (the longest a call can last), and the
    process's last heartbeat plus a safety margin.

    The margin. A request is noted (committed) before it is sent; a commit records the time when the last
    heartbeat is half an interval old, and the journal commits a heartbeat when :data:`HEARTBEAT_INTERVAL`
    passed without one. So while the process runs, no request is sent more than one interval plus the loop's
    lag after a recorded heartbeat;
    if the process died later, the request was still sent before its last heartbeat plus that much. Once
    written, the bytes are in the kernel and reach the service even after a SIGKILL, within a network transit.
    The margin is therefore :data:`ALIVE_MARGIN` (1 s: ten intervals, which covers the interval, the ordinary
    loop lag of a run whose synchronous steps take microseconds to a few milliseconds, and the transit) plus
    the longest stall the process itself measured (``lag``: late heartbeats and slow commits, e.g. a WAL
    checkpoint waiting on a busy disk), so a process whose loop was seen to stall gets a wider margin. What no
    heartbeat can see is a first stall longer than the margin that ends by sending a request and is followed by
    the kill before the next heartbeat; the bound by ``call_bound`` and by now still hold then, and the
    service would count at most the requests sent in that stall a little later than we do.
    """
    now = time.time()
    found: list[float] = []
    for started, ended, requests, alive, lag in conn.execute(
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
