"""The sandbox's state: tables of attrs records kept in memory, written through to SQLite when ``db`` is set.

Memory is the source of truth while running, so reads cost a dict lookup; with a database every change is
committed before the handler returns (that is what ``reset_after_commit`` relies on) and a restart with
the same path loads everything back. Records must be attrs classes that cattrs can (un)structure.

Another domain adds its own table with ``store.table("orders", Order)``; nothing else needs registering.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import attrs
import cattrs

from ..errors import ConfigurationError

__all__ = ["CUSTOMER_CANCELLED", "Customer", "CustomerBase", "CustomerTable", "Store", "Subscription", "Table"]

R = TypeVar("R")
T = TypeVar("T", bound="Table[Any]")

_converter = cattrs.Converter()

# meta rows that survive `Store.clear()`: the sandbox's generated keys (see `keys.resolve_keys`).
IDENTITY_PREFIX = "identity."

CUSTOMER_CANCELLED = 4


@attrs.frozen(kw_only=True)
class CustomerBase:
    """The fields of a customer record on the Bridge side and on the Manager side of the sandbox."""

    phone: str | None
    phone_area: str | None
    email: str | None
    email_area: str | None
    country: str
    register_source: int
    customer_group_id: int
    remark: str | None
    status: int
    create_time: int
    update_time: int


@attrs.frozen(kw_only=True)
class Customer(CustomerBase):
    """One registered customer (reference §6.5/§6.6); ``status`` 1 normal, 4 cancelled, 6 cancelling."""

    customer_no: str
    id: int
    company_id: str
    cancel_remark: str | None = None


@attrs.frozen
class Subscription:
    """The webhook URL an API key subscribed (reference §6.23); re-subscribing replaces it."""

    api_key: str
    webhook_url: str
    update_time: int


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only (it holds secret keys and customers' personal
    data); SQLite gives its ``-wal`` and ``-shm`` files the same mode. An existing file keeps its mode."""
    if path == ":memory:":
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigurationError(f"cannot create the sandbox database {path}: {exc.strerror}") from None


class _Db:
    """The SQLite file behind a :class:`Store` (autocommit: each statement is its own transaction)."""

    def __init__(self, path: str) -> None:
        _create_private(path)
        # The in-thread sandbox opens the store on its loop thread; admin calls are marshalled there too,
        # but closing may happen from the owner, so the same-thread check is relaxed.
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the sandbox database {path}: {exc}") from None
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives a process crash (not an OS crash) and costs no fsync.
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS records "
                "(kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, key))"
            )
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except sqlite3.Error as exc:
            self.conn.close()
            raise ConfigurationError(f"{path} is not a usable sandbox database: {exc}") from None

    def rows(self, kind: str) -> Iterator[tuple[str, str]]:
        yield from self.conn.execute("SELECT key, body FROM records WHERE kind = ? ORDER BY rowid", (kind,))

    def put(self, kind: str, key: str, body: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO records (kind, key, body) VALUES (?, ?, ?)", (kind, key, body))

    def delete(self, kind: str, key: str) -> None:
        self.conn.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))

    def get_meta(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    def clear(self) -> None:
        self.conn.execute("DELETE FROM records")
        self.conn.execute("DELETE FROM meta WHERE name NOT LIKE ?", (IDENTITY_PREFIX + "%",))

    def close(self) -> None:
        self.conn.close()


class Table(Generic[R]):
    """Records of one kind by string key, in insertion order."""

    def __init__(self, name: str, record_type: type[R], db: _Db | None) -> None:
        self.name = name
        self.record_type = record_type
        self._db = db
        self._rows: dict[str, R] = {}
        if db is not None:
            for key, body in db.rows(name):
                self._set(key, _converter.structure(json.loads(body), record_type))

    def get(self, key: str) -> R | None:
        """The record stored under ``key``, or None."""
        return self._rows.get(key)

    def put(self, key: str, record: R) -> None:
        """Insert or replace; committed to the database (if any) before returning."""
        if self._db is not None:
            self._db.put(self.name, key, json.dumps(_converter.unstructure(record), separators=(",", ":")))
        self._set(key, record)

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        old = self._rows.pop(key, None)
        if old is not None:
            if self._db is not None:
                self._db.delete(self.name, key)
            self._removed(old)

    def values(self) -> list[R]:
        """Every record, oldest first."""
        return list(self._rows.values())

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def clear(self) -> None:
        """Forget every record in memory (the :class:`Store` clears the database)."""
        self._rows.clear()

    def _set(self, key: str, record: R) -> None:
        old = self._rows.get(key)
        if old is not None:
            self._removed(old)
        self._rows[key] = record
        self._added(record)

    def _added(self, record: R) -> None:
        """Hook for subclasses that keep secondary indexes."""

    def _removed(self, record: R) -> None:
        """Hook for subclasses that keep secondary indexes."""


class CustomerTable(Table[Customer]):
    """Customers by customer number, with the per-company uniqueness indexes for phone and e-mail.

    ASSUMPTION: a cancelled customer (status 4) releases its phone and e-mail for a new registration.
    """

    def __init__(self, db: _Db | None) -> None:
        self._phones: dict[tuple[str, str, str], str] = {}
        self._emails: dict[tuple[str, str], str] = {}
        super().__init__("customers", Customer, db)

    def phone_owner(self, company_id: str, phone_area: str, phone: str) -> str | None:
        """Customer number of the active customer with this phone in this company."""
        return self._phones.get((company_id, phone_area, phone))

    def email_owner(self, company_id: str, email: str) -> str | None:
        """Customer number of the active customer with this e-mail (case-insensitive) in this company."""
        return self._emails.get((company_id, email.lower()))

    def clear(self) -> None:
        super().clear()
        self._phones.clear()
        self._emails.clear()

    def _added(self, record: Customer) -> None:
        if record.status == CUSTOMER_CANCELLED:
            return
        if record.phone:
            self._phones[(record.company_id, record.phone_area or "", record.phone)] = record.customer_no
        if record.email:
            self._emails[(record.company_id, record.email.lower())] = record.customer_no

    def _removed(self, record: Customer) -> None:
        if record.phone:
            self._phones.pop((record.company_id, record.phone_area or "", record.phone), None)
        if record.email:
            self._emails.pop((record.company_id, record.email.lower()), None)


class Store:
    """All sandbox state. ``path=None`` keeps it in memory only."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._db = _Db(os.fspath(path)) if path is not None else None
        self._meta: dict[str, str] = {}
        self._tables: dict[str, Table[Any]] = {}
        self.customers = self._register(CustomerTable(self._db))
        self.subscriptions = self.table("subscriptions", Subscription)

    @property
    def persistent(self) -> bool:
        """True when backed by a database file."""
        return self._db is not None

    def table(self, name: str, record_type: type[R]) -> Table[R]:
        """The table ``name`` of ``record_type`` records, created (and loaded) on first use."""
        existing = self._tables.get(name)
        if existing is None:
            return self._register(Table(name, record_type, self._db))
        if existing.record_type is not record_type:
            raise TypeError(f"table {name!r} holds {existing.record_type.__name__}, not {record_type.__name__}")
        return existing

    def _register(self, table: T) -> T:
        self._tables[table.name] = table
        return table

    def get_meta(self, name: str) -> str | None:
        """A persisted setting or counter."""
        if name not in self._meta and self._db is not None:
            value = self._db.get_meta(name)
            if value is not None:
                self._meta[name] = value
        return self._meta.get(name)

    def set_meta(self, name: str, value: str) -> None:
        """Store a setting or counter (committed at once)."""
        if self._db is not None:
            self._db.set_meta(name, value)
        self._meta[name] = value

    def next_number(self, name: str, first: int) -> int:
        """The next value of the persisted sequence ``name`` (``first`` the first time)."""
        current = self.get_meta("seq." + name)
        value = first if current is None else int(current) + 1
        self.set_meta("seq." + name, str(value))
        return value

    def clear(self) -> None:
        """Delete every record and sequence; the sandbox's generated keys are kept."""
        if self._db is not None:
            self._db.clear()
        self._meta = {k: v for k, v in self._meta.items() if k.startswith(IDENTITY_PREFIX)}
        for table in self._tables.values():
            table.clear()

    def close(self) -> None:
        """Close the database file."""
        if self._db is not None:
            self._db.close()
            self._db = None
