"""Walking a paged list to the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from ..models.paging import Page

__all__ = ["walk"]

T = TypeVar("T")


async def walk(fetch: Callable[[int], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Yield every item of pages 1, 2, ... until a page says there is no next one.

    A server cannot make it loop forever: an answer that is not the page asked for (a server ignoring the page
    number) raises :class:`~multimarkets.ResponseFormatError`, and an empty page, or one whose ``size`` is not
    positive, ends the walk whatever its ``total`` says."""
    number = 1
    while True:
        page = await fetch(number)
        page.check_number(number)
        for item in page.items:
            yield item
        if not page.has_next:
            return
        number += 1
