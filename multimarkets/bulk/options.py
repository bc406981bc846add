"""The options of a bulk run, checked once where they are given."""

from __future__ import annotations

import os
from typing import Any

import attrs

from ..errors import ConfigurationError

__all__ = ["BulkOptions"]


def _at_least(least: int, meaning: str) -> Any:
    def check(_: object, attribute: attrs.Attribute[int], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigurationError(f"{attribute.name} must be {meaning}")

    return check


def _path(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else os.fspath(value)


@attrs.frozen(kw_only=True)
class BulkOptions:
    """How a bulk run goes (see :meth:`~multimarkets.resources.customers.AsyncCustomers.register_many`)."""

    concurrency: int = attrs.field(default=8, validator=_at_least(1, "a positive integer"))
    """Rows in flight at once."""
    journal: str | None = attrs.field(default=None, converter=_path)
    """The journal file (None: state in memory, not resumable)."""
    reconcile: bool = True
    """Walk the customer list once at the end for the customer numbers of ``already_exists`` rows."""
    row_retries: int = attrs.field(default=3, validator=_at_least(0, "0 or more"))
    """Calls of a row beyond the first when transient errors outlast the client's own retries."""
