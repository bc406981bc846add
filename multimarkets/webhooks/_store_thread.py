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

from ._slots import StoreSlots
from .dedup import DedupStore, DedupStoreError, MemoryDedupStore

__all__ = ["StoreThreads"]

_T = TypeVar("_T")

STORE_THREADS = 8

# A healthy store answers a claim in about a millisecond, so 8 slots serve thousands of claims a second and
# this never fires unless the store is stuck; then a claim refused now (503, or Data Push asking again later)
# beats one queued behind stuck calls past the service's 3 s callback window.
CLAIM_WAIT = 0.5


class StoreThreads:
    """Runs ``function(*args)`` in a worker thread, unless the store never waits; or, for synchronous callers, in
    the caller's thread. Either way at most 8 calls are in the store at a time, counted together: a stuck store
    holds 8 threads of the application, not 8 worker threads and 8 request threads.

    A caller cancelled while its call runs (aiohttp cancels the handler of a client that went away) returns at
    once; the call goes on in its thread, which it keeps counted until it returns: a thread cannot be stopped,
    and an uncounted one stuck on the store would let a ninth call in. The hand-over costs a lock per call, not
    a task: a task per call cost about as much as the thread hop itself.
    """

    __slots__ = ("_inline", "_running", "_slots", "_unlimited")

    def __init__(self, store: DedupStore) -> None:
        # The in-memory store never waits: a thread would only add two wake-ups per call.
        self._inline = type(store) is MemoryDedupStore
        # Counted apart from anyio's default pool: calls stuck on a dead backend must not take its 40 threads,
        # which the application's other thread work (Starlette's sync routes) waits for.
        self._slots = StoreSlots(STORE_THREADS)
        # Handed to run_sync once a slot is held, so that the call never waits a second time.
        self._unlimited = anyio.CapacityLimiter(math.inf)
        # Calls waiting for a slot in a task of their own, which the caller's cancellation does not reach.
        self._running: set[asyncio.Task[Any]] = set()

    async def claim(self, function: Callable[..., _T], *args: object, undo: Callable[[_T], object]) -> _T:
        """``function(*args)``, which claims in the store; :class:`DedupStoreError` when no slot frees up
        within ``CLAIM_WAIT`` seconds. Should the caller be cancelled before it has the result, ``undo(result)``
        gives up what was claimed, in a thread, once the call returns."""
        if self._inline:
            return function(*args)
        if not _on_asyncio():  # trio's cancellation waits for a thread call, which run_sync shields
            return await anyio.to_thread.run_sync(self.claim_in_caller, function, *args, limiter=self._unlimited)
        if not await self._slots.take_async(CLAIM_WAIT):
            raise DedupStoreError(_busy(self._slots.waiting + 1))
        result: _T = await self._call(_Call(function, args), undo)
        return result

    async def run(self, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)``, which calls the store, however long it waits for a slot (a record or release
        after the handler ran must not be dropped, nor when the caller is cancelled meanwhile)."""
        if self._inline:
            return function(*args)
        if not _on_asyncio():
            return await anyio.to_thread.run_sync(self.run_in_caller, function, *args, limiter=self._unlimited)
        if not self._slots.take_nowait():  # every slot is taken: wait in a task that the caller's cancellation spares
            return await asyncio.shield(self._detached(self._waited(function, args)))
        result: _T = await self._call(_Call(function, args), None)
        return result

    def claim_in_caller(self, function: Callable[..., _T], *args: object) -> _T:
        """Like :meth:`claim`, in the calling thread: :class:`DedupStoreError` when no slot frees up within
        ``CLAIM_WAIT`` seconds."""
        if self._inline:
            return function(*args)
        if not self._slots.take(CLAIM_WAIT):
            raise DedupStoreError(_busy(self._slots.waiting + 1))
        try:
            return function(*args)
        finally:
            self._slots.release()

    def run_in_caller(self, function: Callable[..., _T], *args: object) -> _T:
        """Like :meth:`run`, in the calling thread, however long it waits for a slot."""
        if self._inline:
            return function(*args)
        self._slots.take(None)
        try:
            return function(*args)
        finally:
            self._slots.release()

    async def _waited(self, function: Callable[..., _T], args: tuple[object, ...]) -> _T:
        await self._slots.take_async(None)
        result: _T = await self._call(_Call(function, args), None)
        return result

    async def _call(self, call: _Call, undo: Callable[[Any], object] | None) -> Any:
        """``call`` in a worker thread, in the slot its caller took; given back when the thread is done with it.

        ``undo`` is None for a call that must be made even if the caller is cancelled before its thread took
        it; else what gives up the result of a call that returned to a caller gone meanwhile.
        """
        try:
            result = await anyio.to_thread.run_sync(call, limiter=self._unlimited)
        except BaseException:  # cancelled, or the call raised
            state = call.leave(self._finisher(undo))
            if state == _RUNNING:
                raise  # its thread runs on, counted, and finishes up when it returns
            if state == _WAITING and undo is None:
                self._detached(self._call(call.again(), None))
                raise
            self._slots.release()
            if call.result is not _NOTHING and undo is not None:
                self._detached(self._waited(undo, (call.result,)))
            raise
        self._slots.release()
        return result

    def _finisher(self, undo: Callable[[Any], object] | None) -> Callable[[_Call], None]:
        """What the thread of a call whose caller went away runs once the call returned."""

        def finish(call: _Call) -> None:
            try:
                if call.result is not _NOTHING and undo is not None:
                    undo(call.result)
            finally:
                self._slots.release()

        return finish

    def _detached(self, call: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        task = asyncio.ensure_future(call)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task


def _busy(waiting: int) -> str:
    return (
        f"the dedup store is busy: {waiting} calls waiting, none of its {STORE_THREADS} calls at a time "
        f"returned within {CLAIM_WAIT} s"
    )


_WAITING, _DROPPED, _RUNNING, _RETURNED = range(4)

_NOTHING: Any = object()


class _Call:
    """``function(*args)``, for a worker thread. Its caller may be cancelled before the thread takes it, while it
    runs or after it returned, and aiohttp's cancellation does not wait for a thread: the lock decides whether
    the caller or the thread then finishes up."""

    __slots__ = ("_args", "_finish", "_function", "_lock", "result", "state")

    def __init__(self, function: Callable[..., Any], args: tuple[object, ...]) -> None:
        self._function = function
        self._args = args
        self._lock = threading.Lock()
        self._finish: Callable[[_Call], None] | None = None
        self.state = _WAITING
        self.result: Any = _NOTHING
        """What the function returned, once it did."""

    def __call__(self) -> Any:
        with self._lock:
            if self.state == _DROPPED:
                return None
            self.state = _RUNNING
        try:
            self.result = self._function(*self._args)
            return self.result
        finally:
            with self._lock:
                self.state = _RETURNED
                finish = self._finish
            if finish is not None:
                finish(self)

    def leave(self, finish: Callable[[_Call], None] | None) -> int:
        """The caller goes away: a call not taken yet is dropped, one running calls ``finish(self)`` in its thread
        once it returns. The state it was in."""
        with self._lock:
            state = self.state
            if state == _WAITING:
                self.state = _DROPPED
            elif state == _RUNNING:
                self._finish = finish
            return state

    def again(self) -> _Call:
        """The same call, to make afresh."""
        return _Call(self._function, self._args)


def _on_asyncio() -> bool:
    """Whether asyncio runs the caller: a native cancel abandons a thread call; trio's cancellation (with
    anyio's) waits for it, as ``run_sync`` shields the thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
