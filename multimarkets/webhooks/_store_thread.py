"""Calls that reach a dedup store, made off the event loop: a store waiting on its backend (a Redis that does
not answer) holds up its own caller only, not every coroutine of the application."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from .dedup import DedupStore, MemoryDedupStore

__all__ = ["StoreThreads"]

_T = TypeVar("_T")

STORE_THREADS = 8


class StoreThreads:
    """Runs ``function(*args)`` in a worker thread, at most 8 at a time, unless the store never waits."""

    __slots__ = ("_inline", "_limiter")

    def __init__(self, store: DedupStore) -> None:
        # The in-memory store never waits: a thread would only add two wake-ups per call.
        self._inline = type(store) is MemoryDedupStore
        # Its own limiter: calls stuck on a dead backend must not take the default pool's 40 threads, which the
        # application's other thread work (Starlette's sync routes) waits for.
        self._limiter = anyio.CapacityLimiter(STORE_THREADS)

    async def run(self, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)``, which calls the store."""
        if self._inline:
            return function(*args)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
