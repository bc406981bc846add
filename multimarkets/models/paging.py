"""``Page[T]``: one page of a paged list (reference §3, ``{current, records, size, total}``)."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from ..errors import ResponseFormatError
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
        """True when pages after this one hold more items (never after an empty page or one of no size)."""
        return bool(self.items) and 0 < self.page * self.size < self.total

    def check_number(self, asked: int) -> None:
        """Raise :class:`~multimarkets.ResponseFormatError` (with this answer's trace) unless this is page
        ``asked``: a server that ignores the page number answers the same page again and again, and a walk to
        the end would never end."""
        if self.page != asked:
            raise ResponseFormatError(
                f"asked for page {asked} of a list, the answer is page {self.page}",
                code="WRONG_PAGE",
                trace=self.trace,
                http_status=200,
            )
