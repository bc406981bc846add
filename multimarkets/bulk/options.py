"""The options of a bulk run, checked once where they are given."""

from __future__ import annotations

import os
from typing import Any

import attrs

from ..errors import ConfigurationError

__all__ = ["MAX_CONCURRENCY", "BulkOptions"]

MAX_CONCURRENCY = 100
"""The most rows a bulk run keeps in flight. No more requests than that can be on the wire at once: a client's
connector holds at most 100 connections (aiohttp's default), and at the service's 100 requests per minute a
hundred rows in flight already outrun the rate limit. Each worker costs memory while it waits, so a larger
number bought nothing and a mistyped one (10,000,000) hung the run while it started them."""


def _at_least(least: int, meaning: str) -> Any:
    def check(_: object, attribute: attrs.Attribute[int], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigurationError(f"{attribute.name} must be {meaning}")

    return check


def _concurrency(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        raise ConfigurationError(f"concurrency must be a whole number from 1 to {MAX_CONCURRENCY}")


def _path(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else os.fspath(value)


@attrs.frozen(kw_only=True)
class BulkOptions:
    """How a bulk run goes (see :meth:`~multimarkets.resources.customers.AsyncCustomers.register_many`)."""

    concurrency: int = attrs.field(default=8, validator=_concurrency)
    """Rows in flight at once, 1 to :data:`MAX_CONCURRENCY`."""
    journal: str | None = attrs.field(default=None, converter=_path)
    """The journal file (None: state in memory, not resumable)."""
    reconcile: bool = True
    """Walk the customer list once at the end for the customer numbers of ``already_exists`` rows."""
    row_retries: int = attrs.field(default=3, validator=_at_least(0, "0 or more"))
    """Calls of a row beyond the first when transient errors outlast the client's own retries."""
