"""The one hand-written piece of the sync API: an event loop in a daemon thread, reached through one
long-lived anyio blocking portal.

Every generated sync method is one line, ``self._portal.call(self._async.method, ...)`` or
``self._portal.iterate(...)``. This module makes the classic failures of such shims impossible:

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

import atexit
import contextlib
import logging
import os
import signal
import threading
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from functools import partial
from types import TracebackType
from typing import Any, Final, Generic, ParamSpec, Protocol, TypeVar

import anyio
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import MultiMarketsError

__all__ = ["Portal", "SyncUsageError"]

T = TypeVar("T")
P = ParamSpec("P")

logger = logging.getLogger("multimarkets")

_NEW: Final = "new"
_RUNNING: Final = "running"
_CLOSING: Final = "closing"
_CLOSED: Final = "closed"


class SyncUsageError(MultiMarketsError, RuntimeError):
    """The sync API was used where it cannot work: after ``close()``, from inside its own event loop
    thread, or in a child process after ``os.fork()``."""


class _Closable(Protocol):
    def close(self) -> None: ...


class _End:
    """Marks the end of an async iterator in a reply."""


_END: Final = _End()


class Portal:
    """Runs coroutines of the async core in one event loop owned by this object, from any thread.

    The loop (asyncio, in a daemon thread named ``name``) starts on first use. ``close()`` runs the
    :meth:`on_close` callbacks in the loop, stops it and joins the thread; it is also done at interpreter
    exit for portals that were not closed. ``shutdown_timeout`` bounds each close callback, the wait for a
    cancelled coroutine to unwind, and the wait for the thread to end.
    """

    def __init__(self, *, name: str = "multimarkets-portal", shutdown_timeout: float = 10.0) -> None:
        self._name = name
        self._timeout = shutdown_timeout
        self._lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._state: str = _NEW
        self._portal: BlockingPortal | None = None
        self._thread: threading.Thread | None = None
        self._loop_thread_id: int | None = None
        self._pid: int | None = None
        self._on_close: list[Callable[[], Awaitable[object]]] = []
        _all_portals.add(self)

    def __repr__(self) -> str:
        return f"<Portal {self._name!r} {self._state}>"

    def __enter__(self) -> Portal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has begun."""
        return self._state in (_CLOSING, _CLOSED)

    @property
    def loop_thread(self) -> threading.Thread | None:
        """The thread running the event loop, or None before first use."""
        return self._thread

    # -- public API ------------------------------------------------------------------------------------

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``await fn(*args, **kwargs)`` in the portal's loop and return its result (or raise its error)."""
        portal = self._portal_for_caller()
        return _Task(portal, partial(fn, *args, **kwargs), self._timeout).result()

    def iterate(self, fn: Callable[P, AsyncIterable[T]], /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        """Iterate ``fn(*args, **kwargs)`` (an async iterable) from this thread, one item per ``next()``.

        The async iterator lives in a single task of the portal's loop, so cancel scopes, task groups and
        timeouts held across its ``yield`` work. Closing the returned iterator early (``break``, ``close()``,
        an exception) closes the async iterator in the loop before ``close()`` returns.
        """
        self._check_caller()
        return self._iterate(partial(fn, *args, **kwargs))

    def on_close(self, fn: Callable[[], Awaitable[object]]) -> None:
        """Have ``await fn()`` run in the portal's loop when the portal closes, explicitly or at exit.

        Callbacks run last-registered first. The sync client registers its async client's ``aclose``.
        """
        with self._lock:
            if self.closed:
                raise SyncUsageError("this client is closed")
            self._on_close.append(fn)

    def close(self) -> None:
        """Run the :meth:`on_close` callbacks in the loop, stop the loop and join its thread. Idempotent.

        A portal that never ran anything closes without starting its loop.
        """
        if self._forked():
            self._state = _CLOSED
            return
        if threading.get_ident() == self._loop_thread_id:
            raise SyncUsageError(_OWN_THREAD)
        with self._close_lock:
            with self._lock:
                if self._state != _RUNNING:
                    self._state = _CLOSED
                    return
                self._state = _CLOSING
            try:
                self._run_close_callbacks()
            finally:
                self._stop()

    # -- starting and stopping -------------------------------------------------------------------------

    def _forked(self) -> bool:
        return self._pid is not None and self._pid != os.getpid()

    def _check_caller(self) -> None:
        if self._forked():
            raise SyncUsageError(
                f"this client's event loop runs in process {self._pid}; it cannot be used in the child "
                f"process {os.getpid()} after os.fork(). Create a new client in the child."
            )
        if threading.get_ident() == self._loop_thread_id:
            raise SyncUsageError(_OWN_THREAD)
        if self.closed:
            raise SyncUsageError("this client is closed")

    def _portal_for_caller(self) -> BlockingPortal:
        self._check_caller()
        portal = self._portal
        if portal is not None and self._state == _RUNNING:
            return portal
        return self._start()

    def _start(self) -> BlockingPortal:
        with self._lock:
            if self._state == _RUNNING and self._portal is not None:
                return self._portal
            if self._state != _NEW:
                raise SyncUsageError("this client is closed")
            started: Future[BlockingPortal] = Future()
            thread = threading.Thread(target=self._serve, args=(started,), name=self._name, daemon=True)
            thread.start()
            try:
                portal = started.result()
            except BaseException:
                started.add_done_callback(_stop_when_started)
                raise
            self._portal, self._thread, self._loop_thread_id = portal, thread, thread.ident
            self._pid = os.getpid()
            self._state = _RUNNING
            _live_portals.add(self)
        return portal

    @staticmethod
    def _serve(started: Future[BlockingPortal]) -> None:
        async def serve() -> None:
            async with BlockingPortal() as portal:
                started.set_result(portal)
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve, backend="asyncio")
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            else:
                logger.debug("portal event loop ended with an error", exc_info=True)

    def _run_close_callbacks(self) -> None:
        assert self._portal is not None
        errors: list[Exception] = []
        while self._on_close:
            fn = self._on_close.pop()
            try:
                _Task(self._portal, partial(_bounded, fn, self._timeout), self._timeout).result()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def _stop(self) -> None:
        assert self._portal is not None and self._thread is not None
        with contextlib.suppress(RuntimeError):  # RuntimeError: the loop is already gone
            self._portal.call(self._portal.stop, True)
        self._thread.join(self._timeout)
        self._state = _CLOSED
        _live_portals.discard(self)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._close_lock = threading.Lock()

    # -- iteration -------------------------------------------------------------------------------------

    def _iterate(self, factory: Callable[[], AsyncIterable[T]]) -> Generator[T, None, None]:
        portal = self._portal_for_caller()
        send, receive = anyio.create_memory_object_stream[Future[Any]](1)
        pump = _Task(portal, partial(_pump, factory, send, receive), self._timeout, (send, receive))
        try:
            while True:
                reply: Future[Any] = Future()
                _soon(portal, _deliver, send, reply)
                item = pump.wait_for(reply)
                if item is _END:
                    return
                yield item
        except GeneratorExit:  # closed early by the consumer; the pump is idle between two items
            self._close_pump(portal, send, pump)
            raise
        except BaseException:  # Ctrl-C or a closed portal while the pump may be busy: cancel it
            pump.cancel()
            raise
        finally:
            pump.release()

    def _close_pump(self, portal: BlockingPortal, send: MemoryObjectSendStream[Any], pump: _Task[None]) -> None:
        """End the iteration (the pump closes the async iterator in its task) and wait for that."""
        if pump.future.done() or self._forked():
            return
        if threading.get_ident() == self._loop_thread_id:
            send.close()  # finalised by the garbage collector inside the loop: close, cannot wait
            return
        try:
            _soon(portal, send.close)
        except SyncUsageError:
            return  # the portal was closed, which cancelled the pump
        pump.result()


_OWN_THREAD: Final = (
    "the sync client was called from inside its own event loop thread (for example from a callback run "
    "by the async client); waiting there would deadlock. Use the async API (await ...) in that code."
)


class _Task(Generic[T]):
    """A coroutine running in the portal's loop, seen from the calling thread."""

    def __init__(
        self,
        portal: BlockingPortal,
        fn: Callable[[], Awaitable[T]],
        grace: float,
        owned: tuple[_Closable, ...] = (),
    ) -> None:
        """Start ``fn()``; the ``owned`` streams are closed in the loop when it ends, or here if it cannot start."""
        self._grace = grace
        self._finished = threading.Event()
        self._held = _HeldSigint()  # released by wait(), where a Ctrl-C can cancel the task
        try:
            self.future: Future[T] = portal.start_task_soon(self._run, fn, owned)
        except BaseException as exc:
            self._held.release()
            _close_all(owned)
            if isinstance(exc, RuntimeError):
                raise SyncUsageError("this client is closed") from exc
            raise

    async def _run(self, fn: Callable[[], Awaitable[T]], owned: tuple[_Closable, ...]) -> T:
        try:
            return await fn()
        finally:
            _close_all(owned)
            self._finished.set()

    def wait(self, *others: Future[Any]) -> None:
        """Wait until the task (or one of ``others``) is done; if interrupted, cancel the task first."""
        try:
            self._held.release()
            wait((self.future, *others), return_when=FIRST_COMPLETED)
        except BaseException:  # KeyboardInterrupt, SystemExit raised in this thread while waiting
            self.cancel()
            raise

    def cancel(self) -> None:
        """Cancel the task and give it up to ``grace`` seconds to unwind."""
        if self.future.cancel():
            self._finished.wait(self._grace)

    def release(self) -> None:
        """Let a held-back Ctrl-C through (for a task that may never be waited for)."""
        self._held.release()

    def result(self) -> T:
        self.wait()
        if self.future.cancelled():
            raise SyncUsageError("the client was closed while this call was running")
        return self.future.result()

    def wait_for(self, reply: Future[Any]) -> Any:
        """The result of ``reply``, which this task answers; raise if the task ends without answering."""
        self.wait(reply)
        if reply.done() and not reply.cancelled():
            return reply.result()
        self.result()
        raise SyncUsageError("the async iterator stopped without answering")


async def _bounded(fn: Callable[[], Awaitable[object]], limit: float) -> None:
    with anyio.move_on_after(limit) as scope:
        await fn()
    if scope.cancelled_caught:
        logger.warning("closing: %r did not finish within %s s", fn, limit)


def _close_all(streams: tuple[_Closable, ...]) -> None:
    for stream in streams:
        stream.close()


def _soon(portal: BlockingPortal, fn: Callable[..., object], *args: Any) -> None:
    """Run the plain function ``fn(*args)`` in the loop without waiting for its result."""
    held = _HeldSigint()
    try:
        portal.start_task_soon(fn, *args)
    except RuntimeError as exc:
        raise SyncUsageError("this client is closed") from exc
    finally:
        held.release()


class _HeldSigint:
    """Holds back Ctrl-C (SIGINT) in the main thread while a task is being started.

    ``start_task_soon`` waits for the loop to spawn the task; a ``KeyboardInterrupt`` raised inside that wait
    would leave the task running with nobody to cancel it. Held back, the signal is raised by
    :meth:`release`, which callers do inside the ``try`` that cancels the task.
    """

    def __init__(self) -> None:
        self._previous: set[int | signal.Signals] | None = None
        if _CAN_HOLD_SIGINT and threading.current_thread() is threading.main_thread():
            self._previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def release(self) -> None:
        """Restore the signal mask; a Ctrl-C that arrived meanwhile is raised here."""
        previous, self._previous = self._previous, None
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


_CAN_HOLD_SIGINT: Final = hasattr(signal, "pthread_sigmask")


def _deliver(send: MemoryObjectSendStream[Future[Any]], reply: Future[Any]) -> None:
    try:
        send.send_nowait(reply)
    except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
        reply.cancel()  # the pump has ended; the caller reports how (see _Task.wait_for)


async def _pump(
    factory: Callable[[], AsyncIterable[T]],
    send: MemoryObjectSendStream[Future[Any]],
    requests: MemoryObjectReceiveStream[Future[Any]],
) -> None:
    """Drive one async iterator inside this single task, one item per request; close it here at the end.

    The sync side sends one reply future per ``next()``; closing ``send`` (in the loop) ends the iteration.
    Both streams are closed by the task running this (:class:`_Task`).
    """
    iterator = aiter(factory())
    try:
        async for reply in requests:
            if not await _answer(iterator, reply):
                return
    finally:
        await _aclose(iterator)


async def _aclose(iterator: AsyncIterator[Any]) -> None:
    # No cancel scope of our own here: the generator may still be inside scopes it entered before its
    # ``yield``, and those must be exited in the order they were entered.
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


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


def _stop_when_started(started: Future[BlockingPortal]) -> None:
    """Stop a loop whose starter was interrupted while waiting for it."""
    if not started.cancelled() and started.exception() is None:
        portal = started.result()
        threading.Thread(target=portal.call, args=(portal.stop, True), daemon=True).start()


# Portals with a running loop; closed at interpreter exit. Strong references: a forgotten client must stay
# alive until its async client has been closed inside its loop.
_live_portals: set[Portal] = set()
_all_portals: weakref.WeakSet[Portal] = weakref.WeakSet()


def _close_live_portals() -> None:
    for portal in list(_live_portals):
        try:
            portal.close()
        except Exception:
            logger.exception("error while closing a forgotten sync client at exit")


def _after_fork_in_child() -> None:
    _live_portals.clear()
    for portal in list(_all_portals):
        portal._after_fork_in_child()


atexit.register(_close_live_portals)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
