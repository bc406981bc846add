"""A SQLite file shared by every process of one host (no server needed).

Each ``acquire`` is one write transaction (``BEGIN IMMEDIATE``), so two processes never take the same last slot.
Times are wall-clock seconds: every process of the host reads the same clock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import anyio.to_thread

from ..config import RateLimit
from .base import SERVICE_WINDOW, LimitStoreError, Verdict, verdict_for

__all__ = ["SqliteLimitStore"]

_T = TypeVar("_T")

BUSY_TIMEOUT_SECONDS = 2.0
"""How long one operation waits for another process's transaction before it counts as a store failure."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS limit_slots (
    key TEXT NOT NULL, slot TEXT NOT NULL, t REAL NOT NULL, PRIMARY KEY (key, slot)
);
CREATE TABLE IF NOT EXISTS limit_keys (
    key TEXT PRIMARY KEY,
    paused_until REAL NOT NULL DEFAULT 0,
    banned_until REAL NOT NULL DEFAULT 0,
    longest REAL NOT NULL DEFAULT 0
);
"""


class SqliteLimitStore:
    """Window and ban state in the SQLite file ``path`` (created with mode 0600 when missing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SqliteLimitStore({self._path!r})"

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            os.close(os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600))
            db = sqlite3.connect(
                self._path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
            except BaseException:
                # A store that cannot be set up (locked, unwritable) is retried: each failed try must not leave
                # an open connection behind for the garbage collector.
                db.close()
                raise
            self._db = db
        return self._db

    async def _run(self, operation: Callable[[sqlite3.Connection, float], _T]) -> _T:
        def in_thread() -> _T:
            with self._lock:
                try:
                    db = self._connect()
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        result = operation(db, time.time())
                    except BaseException:
                        db.execute("ROLLBACK")
                        raise
                    db.execute("COMMIT")
                    return result
                except (sqlite3.Error, OSError) as exc:
                    raise LimitStoreError(f"limit store {self._path} failed: {exc}") from None

        return await anyio.to_thread.run_sync(in_thread)

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        """Take ``slot`` in one write transaction unless the limit, a pause or a ban says otherwise."""

        def acquire(db: sqlite3.Connection, now: float) -> Verdict:
            db.execute("INSERT OR IGNORE INTO limit_keys (key) VALUES (?)", (key,))
            paused, banned, longest = db.execute(
                "SELECT paused_until, banned_until, longest FROM limit_keys WHERE key = ?", (key,)
            ).fetchone()
            if banned > now:
                return Verdict(banned_for=banned - now)
            if limit is not None and limit.window > longest:
                longest = limit.window
                db.execute("UPDATE limit_keys SET longest = ? WHERE key = ?", (longest, key))
            # Unlimited callers prune too: their slots would otherwise stay in the file forever.
            horizon = now - max(longest, SERVICE_WINDOW)
            db.execute("DELETE FROM limit_slots WHERE key = ? AND t <= ?", (key, horizon))
            times = []
            if limit is not None:
                rows = db.execute("SELECT t FROM limit_slots WHERE key = ? AND t > ?", (key, now - limit.window))
                times = [t for (t,) in rows]
            verdict = verdict_for(limit, times, now, paused)
            if verdict.wait <= 0:
                db.execute("INSERT OR REPLACE INTO limit_slots VALUES (?, ?, ?)", (key, slot, now + lease))
            return verdict

        return await self._run(acquire)

    async def release(self, key: str, slot: str) -> None:
        """Count the slot from now."""
        await self._run(
            lambda db, now: db.execute("UPDATE limit_slots SET t = ? WHERE key = ? AND slot = ?", (now, key, slot))
        )

    async def occupy(self, key: str, ages: Sequence[float]) -> None:
        """Add slots answered ``ages`` seconds ago."""
        await self._run(
            lambda db, now: db.executemany(
                "INSERT OR REPLACE INTO limit_slots VALUES (?, ?, ?)",
                [(key, f"occupied-{now}-{i}", now - age) for i, age in enumerate(ages)],
            )
        )

    async def pause(self, key: str, seconds: float) -> None:
        """Hold limited callers of every process for ``seconds``."""
        await self._set_max(key, "paused_until", seconds)

    async def ban(self, key: str, seconds: float) -> float:
        """Refuse every caller of every process for ``seconds``."""
        return await self._set_max(key, "banned_until", seconds)

    async def _set_max(self, key: str, column: str, seconds: float) -> float:
        def set_max(db: sqlite3.Connection, now: float) -> float:
            db.execute("INSERT OR IGNORE INTO limit_keys (key) VALUES (?)", (key,))
            db.execute(f"UPDATE limit_keys SET {column} = MAX({column}, ?) WHERE key = ?", (now + seconds, key))
            (until,) = db.execute(f"SELECT {column} FROM limit_keys WHERE key = ?", (key,)).fetchone()
            return float(until) - now

        return await self._run(set_max)

    async def aclose(self) -> None:
        """Close this process's connection."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
