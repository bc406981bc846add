"""Walking a paged list to the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from ..models.paging import Page

__all__ = ["walk"]

T = TypeVar("T")


async def walk(fetch: Callable[[int], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Yield every item of pages 1, 2, ... until a page says there is no next one (or comes back empty, so that
    a wrong ``total`` cannot loop forever)."""
    number = 1
    while True:
        page = await fetch(number)
        for item in page.items:
            yield item
        if not page.has_next:
            return
        number += 1
