"""Calls that reach a dedup store, made off the event loop: a store waiting on its backend (a Redis that does
not answer) holds up its own caller only, not every coroutine of the application."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
from collections.abc import Callable
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

# A call whose caller is gone (and perhaps its event loop) is made in a thread of its own, which waits for a slot
# however long while the application runs. Once the main thread has ended, the interpreter waits for that thread
# at exit: then at most this long, enough for the built-in stores' calls stuck on a dead backend to time out
# (2 s) and free their slots, not so long that a dead store holds the exit up.
LAST_CHANCE_WAIT = 5.0
# How often such a thread, waiting for a slot, looks whether the main thread has ended.
_LOOK_AGAIN = 1.0


class StoreThreads:
    """Runs ``function(*args)`` in a worker thread, unless the store never waits; or, for synchronous callers, in
    the caller's thread. Either way at most 8 calls are in the store at a time, counted together: a stuck store
    holds 8 threads of the application, not 8 worker threads and 8 request threads.

    A caller cancelled while its call runs (aiohttp cancels the handler of a client that went away) returns at
    once; the call goes on in its thread, which it keeps counted until it returns: a thread cannot be stopped,
    and an uncounted one stuck on the store would let a ninth call in. The hand-over costs a lock per call, not
    a task: a task per call cost about as much as the thread hop itself. A call that must be made all the same
    (a record, a release, giving up a claim whose caller went away) is made when its caller, or its event loop,
    is gone: in a thread of its own if need be.
    """

    __slots__ = ("_inline", "_logger", "_running", "_slots", "_unlimited")

    def __init__(self, store: DedupStore, logger: logging.Logger) -> None:
        # The in-memory store never waits: a thread would only add two wake-ups per call.
        self._inline = type(store) is MemoryDedupStore
        # Counted apart from anyio's default pool: calls stuck on a dead backend must not take its 40 threads,
        # which the application's other thread work (Starlette's sync routes) waits for.
        self._slots = StoreSlots(STORE_THREADS)
        # Handed to run_sync once a slot is held, so that the call never waits a second time.
        self._unlimited = anyio.CapacityLimiter(math.inf)
        # Calls waiting for a slot in a task of their own, which the caller's cancellation does not reach.
        self._running: set[asyncio.Task[Any]] = set()
        self._logger = logger

    async def claim(
        self,
        function: Callable[..., _T],
        *args: object,
        undo: Callable[[_T], object],
        key_of: Callable[[_T], str | None],
    ) -> _T:
        """``function(*args)``, which claims in the store; :class:`DedupStoreError` when no slot frees up
        within ``CLAIM_WAIT`` seconds. Should the caller be cancelled before it has the result, ``undo(result)``
        gives up what was claimed, in a thread, once the call returns; ``key_of(result)`` is the event key it
        claimed (None: nothing to give up)."""
        if self._inline:
            return function(*args)
        if not _on_asyncio():  # trio's cancellation waits for a thread call, which run_sync shields
            return await anyio.to_thread.run_sync(self.claim_in_caller, function, *args, limiter=self._unlimited)
        if not await self._slots.take_async(CLAIM_WAIT):
            raise DedupStoreError(_busy(self._slots.waiting + 1))
        result: _T = await self._call(_Call(function, args), undo, key_of)
        return result

    async def run(self, function: Callable[..., _T], *args: object, key: str) -> _T:
        """``function(*args)``, which calls the store about the event ``key``, however long it waits for a slot
        (a record or release after the handler ran must not be dropped, whether the caller is cancelled
        meanwhile or the event loop closes)."""
        if self._inline:
            return function(*args)
        if not _on_asyncio():
            return await anyio.to_thread.run_sync(self.run_in_caller, function, *args, limiter=self._unlimited)
        call = _Call(function, args)
        if not self._slots.take_nowait():  # every slot is taken: wait in a task that the caller's cancellation spares
            return await asyncio.shield(self._deferred(call, key))
        try:
            result: _T = await self._call(call)
        except BaseException:
            if call.state == _DROPPED:  # cancelled before its thread took it: made all the same
                self._hand_over(call.again(), key)
            raise
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

    async def _call(
        self,
        call: _Call,
        undo: Callable[[Any], object] | None = None,
        key_of: Callable[[Any], str | None] | None = None,
    ) -> Any:
        """``call`` in a worker thread, in the slot its caller took; given back when the thread is done with it.

        A caller cancelled before the thread took the call drops it (the caller makes it anew if it must be
        made); ``undo`` and ``key_of``, as :meth:`claim` takes them, give up the result of a call that returned
        to a caller gone meanwhile.
        """
        try:
            result = await anyio.to_thread.run_sync(call, limiter=self._unlimited)
        except BaseException:  # cancelled, or the call raised
            if call.leave(self._finisher(undo)) == _RUNNING:
                raise  # its thread runs on, counted, and finishes up when it returns
            self._slots.release()
            if call.result is not _NOTHING and undo is not None and key_of is not None:
                key = key_of(call.result)
                if key is not None:
                    self._hand_over(_Call(undo, (call.result,)), key)
            raise
        self._slots.release()
        return result

    def _deferred(self, call: _Call, key: str) -> asyncio.Task[Any]:
        """``call`` about the event ``key``, once a slot frees, in a task the caller's cancellation spares; in a
        thread of its own should the event loop cancel that task as it closes (``asyncio.run`` cancels the
        tasks left), lest the claim it records or gives up stay in the store and the service's redelivery of
        the event be refused as in progress, or skipped, until the claim expires."""
        task = asyncio.ensure_future(self._waited(call))
        self._running.add(task)
        task.add_done_callback(functools.partial(self._settled, call, key))
        return task

    async def _waited(self, call: _Call) -> Any:
        await self._slots.take_async(None)
        return await self._call(call)

    def _settled(self, call: _Call, key: str, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        # A call a thread took is finished by that thread; one cancelled before (or with its task, before it
        # started) is not made yet.
        if task.cancelled() and call.state in (_WAITING, _DROPPED):
            self._hand_over(call.again(), key)

    def _hand_over(self, call: _Call, key: str) -> None:
        """Make ``call`` about the event ``key`` in a thread of its own: its caller is gone, perhaps with its
        event loop (a task made as the loop closes may never run). Costs a thread, and happens only then."""
        thread = threading.Thread(target=self._made_alone, args=(call, key), name="multimarkets dedup store")
        try:
            thread.start()
        except RuntimeError:  # the interpreter is exiting: no thread starts any more
            self._logger.warning(_NOT_MADE, key, "no thread could start")

    def _made_alone(self, call: _Call, key: str) -> None:
        while not self._slots.take(_LOOK_AGAIN):
            if not threading.main_thread().is_alive():  # the interpreter exits, and waits for this thread
                if self._slots.take(LAST_CHANCE_WAIT):
                    break
                self._logger.warning(_NOT_MADE, key, f"no slot freed within {LAST_CHANCE_WAIT:.0f} s")
                return
        try:
            call()
        except Exception as exc:  # its caller, who would have been told, is gone
            self._logger.error(
                "event %s: a call of the dedup store whose caller was gone failed; the event's claim stays until "
                "it expires: %s",
                key,
                exc,
            )
        finally:
            self._slots.release()

    def _finisher(self, undo: Callable[[Any], object] | None) -> Callable[[_Call], None]:
        """What the thread of a call whose caller went away runs once the call returned."""

        def finish(call: _Call) -> None:
            try:
                if call.result is not _NOTHING and undo is not None:
                    undo(call.result)
            finally:
                self._slots.release()

        return finish


def _busy(waiting: int) -> str:
    return (
        f"the dedup store is busy: {waiting} calls waiting, none of its {STORE_THREADS} calls at a time "
        f"returned within {CLAIM_WAIT} s"
    )


_NOT_MADE = (
    "event %s: a call of the dedup store whose caller was gone was not made as the application exited (%s); "
    "the event's claim stays until it expires"
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
