"""The request ledger: the requests each process noted before sending them and when their calls ended, and
each process's last-alive time, so that a run resumed by a new process keeps to the rate window the killed one
was still using (the engine counts them in the limiter through :class:`~.service.Pacing`).

One record per commit that notes calls, not per call: the requests it announced (noted before being sent), the
requests of the calls whose end it notes, the requests of calls still open after it, the process's lag, and the
commit's time, which is also the process's heartbeat (see :func:`earlier_requests`). A heartbeat alone moves
the process's last heartbeat record forward instead of adding one, so a run that waits does not grow its
journal."""

from __future__ import annotations

import itertools
import sqlite3
import time
import uuid

__all__ = ["ALIVE_MARGIN", "HEARTBEAT_INTERVAL", "LEDGER_SCHEMA", "PROCESS", "Ledger", "earlier_requests"]

LEDGER_SCHEMA = """
CREATE TABLE ledger (
    process TEXT NOT NULL,
    at REAL NOT NULL,
    announced INTEGER NOT NULL,
    ended INTEGER NOT NULL,
    outstanding INTEGER NOT NULL,
    lag REAL NOT NULL
);
"""

_RECORD = "INSERT INTO ledger (process, at, announced, ended, outstanding, lag) VALUES (?, ?, ?, ?, ?, ?)"
_BEAT = "UPDATE ledger SET at = ?, outstanding = ?, lag = ? WHERE rowid = ?"

HEARTBEAT_INTERVAL = 0.1
"""Seconds between two records of a running process's last-alive time (see :meth:`.Journal.run`)."""

ALIVE_MARGIN = 1.0
"""Seconds after its last recorded heartbeat within which a killed process is taken to have sent its last
request (plus the longest stall its event loop was seen to make; see :func:`earlier_requests`)."""

PROCESS = uuid.uuid4().hex
"""Marks the records of this process, whose requests its own rate limiter already counts."""

_call_keys = itertools.count(1)


class Ledger:
    """This process's calls, and what changed since the journal's last record."""

    def __init__(self) -> None:
        self._calls: dict[int, int] = {}
        """The open calls: the requests each announced."""
        self._outstanding = 0
        """The requests announced by the open calls."""
        self._announced = 0
        self._ended = 0
        self.changed = False
        """Calls started, retried or ended since the last :meth:`write`."""
        self._heartbeat: int | None = None
        """The rowid of this process's last record if it records a heartbeat alone."""

    def start_call(self, requests: int) -> int:
        """Note a call that starts now with ``requests`` HTTP requests: 1 when each retry is noted with
        :meth:`retried`, else the most it can make. Returns its key."""
        key = next(_call_keys)
        self._calls[key] = requests
        self._announced += requests
        self._outstanding += requests
        self.changed = True
        return key

    def start_calls(self, count: int) -> list[int]:
        """:meth:`start_call` for ``count`` calls of one request each, at once: their keys."""
        keys = list(itertools.islice(_call_keys, count))
        self._calls.update(dict.fromkeys(keys, 1))
        self._announced += count
        self._outstanding += count
        self.changed = True
        return keys

    def retried(self, key: int) -> None:
        """Note that call ``key`` sends one more HTTP request."""
        self._calls[key] += 1
        self._announced += 1
        self._outstanding += 1
        self.changed = True

    def end_call(self, key: int, requests: int | None) -> None:
        """Note that call ``key`` ended now, after ``requests`` HTTP requests (None: as many as it announced)."""
        announced = self._calls.pop(key)
        self._outstanding -= announced
        self._ended += announced if requests is None else requests
        self.changed = True

    def write(self, cursor: sqlite3.Cursor, lag: float) -> None:
        """Record, in the open transaction of a commit now, what changed and that the process is alive, having
        seen a stall of at most ``lag`` seconds."""
        now = time.time()
        if self.changed or self._heartbeat is None:
            cursor.execute(_RECORD, (PROCESS, now, self._announced, self._ended, self._outstanding, lag))
            self._heartbeat = None if self.changed else cursor.lastrowid
            self._announced = self._ended = 0
            self.changed = False
        else:
            cursor.execute(_BEAT, (now, self._outstanding, lag, self._heartbeat))


def earlier_requests(conn: sqlite3.Connection, window: float, call_bound: float) -> list[float]:
    """The latest moments at which requests of other processes may have reached the service within the last
    ``window`` seconds (wall clock, oldest first, one entry per request noted before it was sent). The requests
    of a call that ended count at the time of the commit that noted its end (the call ended before). Those of
    calls cut off by the end of their process count at the latest moment that process can have sent them: the
    earliest of now, the time of the commit that announced them plus ``call_bound`` (the longest a call can
    last; a call starts before the commit that announces it, except in a run whose client set no rate limit,
    which notes new rows a chunk ahead of the workers: a process that paced nothing itself), and the process's
    last heartbeat plus a safety margin. A record counts the cut-off requests, not which commits announced them:
    they are taken to be the latest announced, which can only make their moments later.

    The margin. A request is noted (committed) before it is sent; every record carries its commit's time, a
    commit writes one when the last is half an interval old, and the journal commits one when
    :data:`HEARTBEAT_INTERVAL` passed without any. So while the process runs, no request is sent more than one
    interval plus the loop's lag after a recorded heartbeat;
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
    since = now - window
    by_process: dict[str, list[tuple[float, int, int, int, float]]] = {}
    # A record older than that holds no moment in the window: an ended call counts at the record's time, and a
    # cut-off request at most call_bound after the record that announced it.
    for process, at, announced, ended, outstanding, lag in conn.execute(
        "SELECT process, at, announced, ended, outstanding, lag FROM ledger WHERE process != ? AND at > ? "
        "ORDER BY rowid",
        (PROCESS, since - call_bound),
    ):
        by_process.setdefault(process, []).append((at, announced, ended, outstanding, lag))
    found: list[float] = []
    for records in by_process.values():
        found += [at for at, _, ended, _, _ in records if at > since for _ in range(ended)]
        alive, _, _, cut_off, lag = records[-1]
        last_moment = min(now, alive + ALIVE_MARGIN + lag)
        for at, announced, _, _, _ in reversed(records):
            if cut_off <= 0:
                break
            taken = min(announced, cut_off)
            found += [min(last_moment, at + call_bound)] * taken
            cut_off -= taken
    return sorted(found)
