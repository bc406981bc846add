"""``Page[T]``: one page of a paged list (reference §3, ``{current, records, size, total}``)."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from ._answer import Answer

__all__ = ["Page"]

T = TypeVar("T")


@attrs.frozen
class Page(Answer, Generic[T]):
    """One page: ``items`` on page ``page`` (from 1) of ``size`` items each, out of ``total``."""

    page: int = attrs.field(metadata={"wire": "current"})
    size: int
    total: int
    items: tuple[T, ...] = attrs.field(metadata={"wire": "records"})

    @property
    def has_next(self) -> bool:
        """True when pages after this one hold more items."""
        return bool(self.items) and self.page * self.size < self.total
