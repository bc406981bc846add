"""Calls that reach a dedup store, made off the event loop: a store waiting on its backend (a Redis that does
not answer) holds up its own caller only, not every coroutine of the application."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from .dedup import DedupStore, DedupStoreError, MemoryDedupStore

__all__ = ["StoreThreads"]

_T = TypeVar("_T")

STORE_THREADS = 8

# A healthy store answers a claim in about a millisecond, so 8 threads serve thousands of claims a second and
# this never fires unless the store is stuck; then a claim refused now (503, or Data Push asking again later)
# beats one queued behind stuck calls past the service's 3 s callback window.
CLAIM_WAIT = 0.5


class StoreThreads:
    """Runs ``function(*args)`` in a worker thread, at most 8 at a time, unless the store never waits; or, for
    synchronous callers, in the caller's thread, at most 8 callers at a time.

    A caller cancelled while its call runs (aiohttp cancels the handler of a client that went away) returns at
    once; the call goes on in its thread, which it keeps counted until it returns: a thread cannot be stopped,
    and an uncounted one stuck on the store would let a ninth call in.
    """

    __slots__ = ("_callers", "_inline", "_limiter", "_running", "_unlimited")

    def __init__(self, store: DedupStore) -> None:
        # The in-memory store never waits: a thread would only add two wake-ups per call.
        self._inline = type(store) is MemoryDedupStore
        # Its own limiter: calls stuck on a dead backend must not take the default pool's 40 threads, which the
        # application's other thread work (Starlette's sync routes) waits for.
        self._limiter = anyio.CapacityLimiter(STORE_THREADS)
        # Handed to run_sync once a token of _limiter is held, so that the call never waits a second time.
        self._unlimited = anyio.CapacityLimiter(math.inf)
        # Synchronous callers (a WSGI server's request threads) call the store in their own threads, counted as
        # the worker threads are: without it, every request thread of the server could wait on a stuck store.
        self._callers = threading.BoundedSemaphore(STORE_THREADS)
        # The calls under way, each a task of its own that the caller's cancellation does not reach.
        self._running: set[asyncio.Task[Any]] = set()

    async def claim(self, function: Callable[..., _T], *args: object, undo: Callable[[_T], object]) -> _T:
        """``function(*args)``, which claims in the store; :class:`DedupStoreError` when no thread frees up
        within ``CLAIM_WAIT`` seconds. Should the caller be cancelled before it has the result, ``undo(result)``
        gives up what was claimed, in a thread, once the call returns."""
        if self._inline:
            return function(*args)
        holder = object()
        with anyio.move_on_after(CLAIM_WAIT) as waited:
            await self._limiter.acquire_on_behalf_of(holder)
        if waited.cancelled_caught:
            waiting = self._limiter.statistics().tasks_waiting + 1
            raise DedupStoreError(f"the dedup store is busy: {waiting} calls waiting for its {STORE_THREADS} threads")
        if not _on_asyncio():
            return await self._held(holder, function, args)
        call = self._detached(self._held(holder, function, args))
        try:
            return await asyncio.shield(call)
        except asyncio.CancelledError:
            call.add_done_callback(lambda done: self._undo(done, undo))
            raise

    async def run(self, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)``, which calls the store, however long it waits for a thread (a record or release
        after the handler ran must not be dropped, nor when the caller is cancelled meanwhile)."""
        if self._inline:
            return function(*args)
        if not _on_asyncio():
            return await self._waited(function, args)
        return await asyncio.shield(self._detached(self._waited(function, args)))

    def claim_in_caller(self, function: Callable[..., _T], *args: object) -> _T:
        """Like :meth:`claim`, in the calling thread: :class:`DedupStoreError` when none of the 8 callers in the
        store returns within ``CLAIM_WAIT`` seconds."""
        if self._inline:
            return function(*args)
        if not self._callers.acquire(timeout=CLAIM_WAIT):
            raise DedupStoreError(
                f"the dedup store is busy: its {STORE_THREADS} callers at a time held it for {CLAIM_WAIT} s"
            )
        try:
            return function(*args)
        finally:
            self._callers.release()

    def run_in_caller(self, function: Callable[..., _T], *args: object) -> _T:
        """Like :meth:`run`, in the calling thread, however long it waits for its turn."""
        if self._inline:
            return function(*args)
        with self._callers:
            return function(*args)

    async def _waited(self, function: Callable[..., _T], args: tuple[object, ...]) -> _T:
        holder = object()
        await self._limiter.acquire_on_behalf_of(holder)
        return await self._held(holder, function, args)

    async def _held(self, holder: object, function: Callable[..., _T], args: tuple[object, ...]) -> _T:
        """``function(*args)`` in a thread counted by the token ``holder`` took, given back when it returns."""
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self._unlimited)
        finally:
            self._limiter.release_on_behalf_of(holder)

    def _undo(self, done: asyncio.Task[_T], undo: Callable[[_T], object]) -> None:
        """A claim whose caller went away returned: give up what it claimed."""
        if not done.cancelled() and done.exception() is None:
            self._detached(self._waited(undo, (done.result(),)))

    def _detached(self, call: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        task = asyncio.ensure_future(call)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task


def _on_asyncio() -> bool:
    """Whether asyncio runs the caller: a native cancel abandons a thread call; trio's cancellation (with
    anyio's) waits for it, as ``run_sync`` shields the thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
