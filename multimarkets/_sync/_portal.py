"""The one hand-written piece of the sync API: an asyncio event loop in a daemon thread, reached from any thread.

Every generated sync method is one line, ``self._portal.call(self._async.method, ...)`` or
``self._portal.iterate(...)``. A call wakes the loop thread once (``call_soon_threadsafe``) and is woken once
(its result). This module makes the classic failures of such shims impossible:

- **Inside a running event loop** (Jupyter, a FastAPI handler): works, the coroutine runs in the portal's own
  loop, never in the caller's.
- **From the portal's own thread** (a callback run by the async client): raises :class:`SyncUsageError`
  at once instead of waiting for a loop that can only run after the wait ends.
- **Ctrl-C while waiting**: the coroutine is cancelled in the portal and has unwound (within
  ``shutdown_timeout``) before ``KeyboardInterrupt`` reaches the caller.
- **After os.fork()**: the child has no copy of the loop thread; using a started portal there raises
  :class:`SyncUsageError`. A portal first used in the child works normally.
- **Forgetting close()**: an :mod:`atexit` hook closes every open portal, running the ``on_close`` callbacks
  (the async client's ``aclose()``) *inside* the loop before it stops, so no "Unclosed client session",
  ResourceWarning or "Event loop is closed" appears at exit.
- **Many threads at once**: the loop is started once, under a lock; each call is its own task.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator, Iterator
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitTimeout
from functools import partial
from types import TracebackType
from typing import Any, Final, Generic, ParamSpec, TypeVar

from ..errors import ClientClosedError, MultiMarketsError

__all__ = ["Portal", "SyncUsageError"]

T = TypeVar("T")
P = ParamSpec("P")

logger = logging.getLogger("multimarkets")

_OWN_THREAD: Final = (
    "the sync client was called from inside its own event loop thread (for example from a callback run "
    "by the async client); waiting there would deadlock. Use the async API (await ...) in that code."
)
_CLOSED: Final = "this client is closed"
# A waiting thread wakes this often although nothing happened: CPython runs signal handlers between bytecodes
# and when a blocking wait is interrupted, so a Ctrl-C landing just before the wait blocks would otherwise be
# noticed only when the call ends, which may be never.
_SIGNAL_CHECK: Final = 0.25


class SyncUsageError(MultiMarketsError, RuntimeError):
    """The sync API was used where it cannot work: from inside its own event loop thread, or in a child
    process after ``os.fork()``. (A closed client raises :class:`~multimarkets.errors.ClientClosedError`.)"""


class Portal:
    """Runs coroutines of the async core in one event loop owned by this object, from any thread.

    The loop (asyncio, in a daemon thread named ``name``) starts on first use. ``close()`` runs the
    :meth:`on_close` callbacks in the loop, cancels what still runs there, stops the loop and joins the thread;
    it is also done at interpreter exit for portals that were not closed. ``shutdown_timeout`` bounds each
    close callback, the wait for a cancelled coroutine to unwind, and the wait for the thread to end.
    """

    def __init__(self, *, name: str = "multimarkets-portal", shutdown_timeout: float = 10.0) -> None:
        self._name = name
        self._timeout = shutdown_timeout
        self._lock = threading.Lock()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._on_close: list[Callable[[], Awaitable[object]]] = []

    def __enter__(self) -> Portal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has begun."""
        return self._closed

    @property
    def loop_thread(self) -> threading.Thread | None:
        """The thread running the event loop, or None before first use."""
        return self._thread

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``await fn(*args, **kwargs)`` in the portal's loop and return its result (or raise its error)."""
        call = _Call(partial(fn, *args, **kwargs), self._timeout)
        try:
            self._submit(call)
            return call.result()
        except BaseException:
            call.abandon()  # a Ctrl-C landing after the task was scheduled but before the wait began
            raise

    def iterate(self, fn: Callable[P, AsyncIterable[T]], /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        """Iterate ``fn(*args, **kwargs)`` (an async iterable) from this thread, one item per ``next()``.

        The async iterator lives in a single task of the portal's loop, so cancel scopes, task groups and
        timeouts held across its ``yield`` work. Closing the returned iterator early (``break``, ``close()``,
        an exception) closes the async iterator in the loop before ``close()`` returns.
        """
        self._check_caller()
        return self._iterate(_Pump(partial(fn, *args, **kwargs)))

    def on_close(self, fn: Callable[[], Awaitable[object]]) -> None:
        """Have ``await fn()`` run in the portal's loop when the portal closes, explicitly or at exit.

        Callbacks run last-registered first. The sync client registers its async client's ``aclose``.
        """
        with self._lock:
            if self._closed:
                raise ClientClosedError(_CLOSED)
            self._on_close.append(fn)

    def close(self) -> None:
        """Run the :meth:`on_close` callbacks in the loop, stop the loop and join its thread. Idempotent.

        A portal that never ran anything closes without starting its loop.
        """
        if self._forked():
            self._closed = True
            return
        if self._in_loop_thread():
            raise SyncUsageError(_OWN_THREAD)
        with self._lock:
            first, self._closed = not self._closed, True
            thread, loop = self._thread, self._loop
            shutdown = asyncio.run_coroutine_threadsafe(self._shutdown(), loop) if first and loop else None
        try:
            if shutdown is not None:
                shutdown.result()
        finally:
            if thread is not None:
                thread.join(self._timeout)
                _live_portals.discard(self)

    # -- internals -----------------------------------------------------------------------------------------

    def _forked(self) -> bool:
        return self._pid is not None and self._pid != os.getpid()

    def _in_loop_thread(self) -> bool:
        return self._thread is not None and threading.get_ident() == self._thread.ident

    def _check_caller(self) -> None:
        if self._forked():
            raise SyncUsageError(
                f"this client's event loop runs in process {self._pid}; it cannot be used in the child "
                f"process {os.getpid()} after os.fork(). Create a new client in the child."
            )
        if self._in_loop_thread():
            raise SyncUsageError(_OWN_THREAD)
        if self._closed:
            raise ClientClosedError(_CLOSED)

    def _submit(self, call: _Call[T]) -> None:
        """Start ``fn()`` as a task of the loop (starting the loop first if needed)."""
        self._check_caller()
        with self._lock:  # close() schedules its shutdown under this lock: after every task submitted before
            if self._closed:
                raise ClientClosedError(_CLOSED)
            call.loop = self._loop or self._start()
            call.scheduled = True
            call.loop.call_soon_threadsafe(call.start)

    def _start(self) -> asyncio.AbstractEventLoop:
        """Create the loop and its thread (called under the lock); calls may be queued before it runs."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=_serve, args=(loop,), name=self._name, daemon=True)
        thread.start()
        self._loop, self._thread, self._pid = loop, thread, os.getpid()
        _live_portals.add(self)
        return loop

    async def _shutdown(self) -> None:
        errors: list[Exception] = []
        while self._on_close:
            fn = self._on_close.pop()
            try:
                await asyncio.wait_for(fn(), self._timeout)
            except asyncio.TimeoutError:
                logger.warning("closing: %r did not finish within %s s", fn, self._timeout)
            except Exception as exc:
                errors.append(exc)
        others = asyncio.all_tasks() - {asyncio.current_task()}
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others, timeout=self._timeout)
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)
        if errors:
            raise errors[0]

    def _iterate(self, pump: _Pump[T]) -> Generator[T, None, None]:
        call = _Call(pump.run, self._timeout)
        self._submit(call)
        reply: Future[Any] = Future()
        try:
            while True:
                reply = Future()
                _soon(call.loop, pump.deliver, reply)
                try:
                    item = _result(reply, orphaned_by=call.future)
                except CancelledError:  # the pump ended without answering: say why
                    call.result()
                    raise SyncUsageError("the async iterator stopped without answering") from None
                if item is _END:
                    return
                yield item
        except GeneratorExit:  # closed early by the consumer; the pump is idle between two items
            if not call.future.done() and not self._forked():
                if self._in_loop_thread():  # finalised by the garbage collector inside the loop: cannot wait
                    pump.deliver(None)
                elif _soon(call.loop, pump.deliver, None, quiet=True):
                    call.wait()
            raise
        except BaseException:
            if not reply.done():  # Ctrl-C or a closed portal while the pump may be busy
                call.cancel()
            call.wait()
            raise


class _Call(Generic[T]):
    """One coroutine run as a task of the portal's loop; its outcome lands in ``future`` for the calling thread.

    The task sets ``future`` itself when it has unwound: one wake-up of the caller, and a cancelled call's
    ``future`` is only done once the coroutine's cleanup has run.
    """

    loop: asyncio.AbstractEventLoop

    def __init__(self, fn: Callable[[], Awaitable[T]], grace: float) -> None:
        self._fn = fn
        self._grace = grace
        self._task: asyncio.Task[None] | None = None
        self._abandoned = False
        self.scheduled = False
        self.future: Future[T] = Future()

    def start(self) -> None:
        """In the loop: create the task."""
        self._task = self.loop.create_task(self._run())
        self._task.add_done_callback(self._settle)

    def _settle(self, task: asyncio.Task[None]) -> None:
        if not self.future.done():  # cancelled before its first step: ``_run`` never began
            self.future.cancel()

    async def _run(self) -> None:
        try:
            result = await self._fn()
        except asyncio.CancelledError:
            self.future.cancel()
            raise
        except BaseException as exc:
            self.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            self.future.set_result(result)

    def _cancel_in_loop(self) -> None:
        if self._task is not None:  # start() ran first unless a Ctrl-C stopped its scheduling
            self._task.cancel()
        else:
            self.future.cancel()

    def cancel(self) -> None:
        """Cancel the task from the calling thread (it unwinds in the loop; :meth:`wait` for that)."""
        _soon(self.loop, self._cancel_in_loop, quiet=True)

    def wait(self) -> None:
        """Wait up to ``grace`` seconds for the task to end (``concurrent.futures.wait`` would miss a cancel)."""
        with contextlib.suppress(CancelledError, WaitTimeout):
            self.future.exception(self._grace)

    def result(self) -> T:
        """Wait for the outcome; if interrupted while waiting (Ctrl-C), cancel the task and let it unwind first."""
        try:
            return _result(self.future)
        except CancelledError:
            raise ClientClosedError("the client was closed while this call was running") from None
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> None:
        """Once (after a Ctrl-C, say): cancel the task if it may be scheduled and has not ended; let it unwind."""
        if self.scheduled and not self._abandoned and not self.future.done():
            self._abandoned = True
            self.cancel()
            self.wait()


class _End:
    """Marks the end of an async iterator in a reply."""


_END: Final = _End()


class _Pump(Generic[T]):
    """Drives one async iterator inside a single task, one item per request from the consuming thread."""

    def __init__(self, factory: Callable[[], AsyncIterable[T]]) -> None:
        self._factory = factory
        self._requests: asyncio.Queue[Future[Any] | None] = asyncio.Queue()
        self._ended = False

    def deliver(self, reply: Future[Any] | None) -> None:
        """In the loop: ask for the next item (``None``: end the iteration)."""
        if not self._ended:
            self._requests.put_nowait(reply)
        elif reply is not None:
            reply.cancel()

    async def run(self) -> None:
        try:
            iterator = aiter(self._factory())
            try:
                while (reply := await self._requests.get()) is not None:
                    if not await _answer(iterator, reply):
                        return
            finally:
                # No cancel scope of our own here: the generator may still be inside scopes it entered before
                # its ``yield``, and those must be exited in the order they were entered.
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
        finally:
            self._ended = True  # from here on deliver() cancels; what is queued is cancelled now
            while not self._requests.empty():
                if (pending := self._requests.get_nowait()) is not None:
                    pending.cancel()


async def _answer(iterator: AsyncIterator[T], reply: Future[Any]) -> bool:
    """Put the next item (or the end, or the error) into ``reply``; False when the iteration is over."""
    try:
        item = await anext(iterator)
    except StopAsyncIteration:
        reply.set_result(_END)
        return False
    except Exception as exc:
        reply.set_exception(exc)
        return False
    except BaseException:
        reply.cancel()
        raise
    reply.set_result(item)
    return True


def _result(future: Future[T], *, orphaned_by: Future[Any] | None = None) -> T:
    """``future.result()``, waiting in slices so that a Ctrl-C is never left pending (see ``_SIGNAL_CHECK``).

    Once ``orphaned_by`` (the pump's call) is done, nothing can answer ``future`` any more, and a request sent
    in the instant between the loop's last run and its ``close()`` is never even read: ``future`` is then
    cancelled here rather than waited for forever.
    """
    while True:
        try:
            future.exception(_SIGNAL_CHECK)  # returns the call's own error (does not raise it), or times out
        except WaitTimeout:
            if orphaned_by is not None and orphaned_by.done():
                future.cancel()
            continue
        return future.result()


def _soon(loop: asyncio.AbstractEventLoop, fn: Callable[..., object], *args: Any, quiet: bool = False) -> bool:
    """Run the plain function ``fn(*args)`` in the loop without waiting for it; False if the loop is gone."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError as exc:
        if quiet:
            return False
        raise ClientClosedError(_CLOSED) from exc
    return True


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    # Our own default executor, shut down here in this thread: the loop's shutdown_default_executor() starts a
    # new thread to do it, which Python 3.12+ refuses once the interpreter is exiting (a never-closed portal).
    executor = ThreadPoolExecutor(thread_name_prefix=f"{threading.current_thread().name}-executor")
    loop.set_default_executor(executor)
    try:
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        executor.shutdown(wait=True)
    finally:
        loop.close()


# Portals with a running loop; closed at interpreter exit. Strong references: a forgotten client must stay
# alive until its async client has been closed inside its loop. In a forked child, close() only marks them.
_live_portals: set[Portal] = set()


def _close_live_portals() -> None:
    for portal in list(_live_portals):
        try:
            portal.close()
        except Exception:
            logger.exception("error while closing a forgotten sync client at exit")


atexit.register(_close_live_portals)
