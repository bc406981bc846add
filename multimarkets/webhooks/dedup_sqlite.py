"""A :class:`~multimarkets.webhooks.DedupStore` in a SQLite file, shared by the receiver processes of one host."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from ..errors import ConfigurationError
from .dedup import DEFAULT_CLAIM_TTL, DEFAULT_RETENTION, Claim, DedupStoreError

__all__ = ["SqliteDedupStore"]

_T = TypeVar("_T")

BUSY_TIMEOUT_SECONDS = 2.0
"""How long one operation waits for another process's transaction before it counts as a store failure: a claim
is a few rows, so a longer wait means a stuck writer, and the service would stop waiting for the answer."""

_WAITED = 0.001
"""Seconds of waiting for this process's other calls after which a call's wait for other processes is shortened."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedup (key TEXT PRIMARY KEY, done INTEGER NOT NULL, until REAL NOT NULL);
CREATE INDEX IF NOT EXISTS dedup_until ON dedup (until);
"""


class SqliteDedupStore:
    """Handled event keys in the SQLite file ``path`` (mode 0600), each claim one write transaction.

    A claim never completed nor released (its process died) expires after ``claim_ttl`` seconds; handled keys
    are remembered for ``retention`` seconds. A file locked for 2 s (``BUSY_TIMEOUT_SECONDS``), unwritable
    or broken raises :class:`~multimarkets.webhooks.DedupStoreError`, from the constructor too (a file that
    cannot be created, or is not a SQLite database).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        claim_ttl: float = DEFAULT_CLAIM_TTL,
        retention: float = DEFAULT_RETENTION,
    ) -> None:
        if claim_ttl <= 0 or retention <= 0:
            raise ConfigurationError("claim_ttl and retention must be positive numbers of seconds")
        self._path = os.fspath(path)
        self._claim_ttl = claim_ttl
        self._retention = retention
        self._lock = threading.Lock()
        try:
            os.close(os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600))
        except OSError as exc:  # its text would name the path a second time
            raise DedupStoreError(f"{self!r} cannot open the file: {exc.strerror}") from None
        self._db = sqlite3.connect(
            self._path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:  # not a database, or locked by another process past the timeout
            self._db.close()
            raise DedupStoreError(f"{self!r} cannot open the file: {exc}") from None

    def __repr__(self) -> str:
        return f"SqliteDedupStore({self._path!r})"

    def _write(self, operation: Callable[[sqlite3.Connection, float], _T]) -> _T:
        # This process's calls wait for each other here, then SQLite waits for other processes: both waits share
        # the one timeout, or calls queued behind a file that another process keeps locked failed 2 s apart, the
        # later ones long after the service stopped waiting for their answer.
        started = time.monotonic()
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            raise DedupStoreError(f"{self!r} failed: its other calls held it for {BUSY_TIMEOUT_SECONDS} s")
        try:
            waited = time.monotonic() - started
            shortened = waited > _WAITED
            try:
                if shortened:
                    self._busy_timeout(BUSY_TIMEOUT_SECONDS - waited)
                try:
                    return self._transaction(operation)
                finally:
                    if shortened:
                        self._busy_timeout(BUSY_TIMEOUT_SECONDS)
            except sqlite3.Error as exc:
                raise DedupStoreError(f"{self!r} failed: {exc}") from None
        finally:
            self._lock.release()

    def _busy_timeout(self, seconds: float) -> None:
        self._db.execute(f"PRAGMA busy_timeout = {max(int(seconds * 1000), 1)}")

    def _transaction(self, operation: Callable[[sqlite3.Connection, float], _T]) -> _T:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = operation(self._db, time.time())
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # a failed COMMIT leaves it open, and every later BEGIN would fail
                self._db.execute("ROLLBACK")
            raise
        return result

    def claim(self, key: str) -> Claim:
        """Claim ``key`` for handling unless it was handled or is being handled (by any process)."""

        def claim(db: sqlite3.Connection, now: float) -> Claim:
            db.execute("DELETE FROM dedup WHERE until <= ?", (now,))
            row = db.execute("SELECT done FROM dedup WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return Claim.DUPLICATE if row[0] else Claim.IN_PROGRESS
            db.execute("INSERT INTO dedup VALUES (?, 0, ?)", (key, now + self._claim_ttl))
            return Claim.NEW

        return self._write(claim)

    def complete(self, key: str) -> None:
        """Mark a claimed key as handled."""
        self._write(
            lambda db, now: db.execute("INSERT OR REPLACE INTO dedup VALUES (?, 1, ?)", (key, now + self._retention))
        )

    def release(self, key: str) -> None:
        """Give up a claim, so that a redelivery is handled again."""
        self._write(lambda db, now: db.execute("DELETE FROM dedup WHERE key = ? AND done = 0", (key,)))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
