"""The journal file on disk: created or checked (its format, the service and account it belongs to), locked
to one run, and set up for the journal's group commits (see :mod:`.journal`)."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3

from ..errors import ConfigurationError
from .ledger import LEDGER_SCHEMA
from .service import Origin
from .store import ROWS_SCHEMA

__all__ = ["FORMAT", "JournalError", "connect"]

FORMAT = "multimarkets.bulk.register/5"
_META_SCHEMA = "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
_SCHEMA = [statement for statement in (_META_SCHEMA + ROWS_SCHEMA + LEDGER_SCHEMA).split(";") if statement.strip()]
"""The statements that create a new journal's tables."""
_SETTINGS = "PRAGMA page_size = 2048; PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = OFF;"
_NEW_SETTINGS = _SETTINGS + " PRAGMA journal_mode = MEMORY;"
"""The settings of the set-up (see :func:`connect`); a new file's take it to WAL from an in-memory journal."""


class JournalError(ConfigurationError):
    """The journal cannot be used for this run: another input, service, API key (Manager API: app id) or
    company, another format, in use, or unreadable."""


class JournalWriteError(JournalError):
    """The journal stopped taking the run's records part-way (a full disk, an I/O error, the file removed or
    replaced): the run stopped there, and rows it holds in flight may have reached the service."""


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
    if found[0] != FORMAT:
        raise JournalError(f"{path} is a journal of another kind or version ({found[0]}), not {FORMAT}")
    return False


def connect(path: str, origin: Origin) -> sqlite3.Connection:
    """Open the journal at ``path`` for one run (see the module docs)."""
    try:
        # The rows hold personal data: a new journal is private to its owner. SQLite gives its -wal file the
        # mode of the database file.
        created = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            new = os.fstat(created).st_size == 0
        finally:
            os.close(created)
        # timeout=0: a journal in use is refused at once (a PRAGMA busy_timeout cost a statement more).
        conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    except OSError as exc:
        raise JournalError(f"cannot open journal {path}: {exc.strerror}") from None
    except sqlite3.Error as exc:
        raise JournalError(f"cannot open journal {path}: {exc}") from None
    try:
        # The settings, one script (a statement each cost some 15 us of the sqlite3 module's own work more):
        # - for a new file (an existing journal keeps its own): a commit writes whole pages to the WAL (the one
        #   or two its few rows touch, and the ledger's); 2 KiB pages instead of 4 KiB halve the WAL a run writes
        #   and its close syncs, and cost a commit of three rows 6-7 us less CPU. A page still holds a dozen rows;
        # - exclusive locking: a second run on the same journal is refused instead of interleaving with this one;
        # - the set-up (the switch to WAL, the schema, the meta) is written without an fsync, which cost tens of
        #   milliseconds per run on a busy disk: until the first checkpoint (which syncs the WAL, then the file),
        #   an OS crash may lose it along with the commits that followed, as it may lose any commits made since
        #   the last checkpoint (see the module docs); a kill loses none of it;
        # - a new file switches to WAL from an in-memory rollback journal: the switch writes the file's first
        #   page, in a transaction that created and deleted a -journal file beside it (some 0.3 ms), for a file
        #   that had nothing to roll back to. (An existing journal is in WAL already: the switch is a no-op.)
        conn.executescript(_NEW_SETTINGS if new else _SETTINGS)
        # Checked: SQLite answers a switch it cannot make with the mode it keeps, without an error.
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise JournalError(f"cannot use journal {path}: SQLite cannot keep it in WAL mode ({mode})")
        conn.execute("BEGIN EXCLUSIVE")
        if _is_new(conn, path):
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT INTO meta (name, value) VALUES ('format', ?)", (FORMAT,))
        _claim(conn, path, origin)
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous = NORMAL")
        # A checkpoint runs in the commit that fills the WAL, on the event loop, and syncs twice (5-30 ms on a
        # busy disk): every 10,000 pages (20 MiB) instead of 1,000, each of those stalls comes 10 times less often.
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
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
