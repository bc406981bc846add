"""The one hand-written piece of the sync API: an asyncio event loop in a daemon thread, reached from any thread.

Every generated sync method is one line, ``self._portal.call(self._async.method, ...)`` or
``self._portal.iterate(...)``. A call wakes the loop thread once (``call_soon_threadsafe``) and is woken once
(its result). A portal made with ``lend=True`` (the sync clients') lends its loop instead to a calling thread that
has no loop of its own running: while nothing else is in flight, that thread runs the loop itself for the time of
its call, with no thread hand-over at all (under load, each hand-over waits for the scheduler to run the other
thread). The loop is still one loop, so the aiohttp session, limiter and connections bound to it are shared
as before; iterations, callers inside a running loop, close, and calls made while others are in flight go
through the portal's thread, which keeps the loop running as long as any of those is.
This module makes the classic failures of such shims impossible:

- **Inside a running event loop** (Jupyter, a FastAPI handler): works, the coroutine runs in the portal's own
  loop, never in the caller's.
- **From the portal's own thread** (a callback run by the async client), or from a thread while it runs the
  lent loop: raises :class:`SyncUsageError` at once instead of waiting for a loop that can only run after the wait
  ends.
- **From the running loop that serves the client's target** (an ``async with Sandbox()`` on the same loop): the
  wait would block the server, so the answer could only come after the timeout; raises :class:`SyncUsageError`
  at once (:meth:`Portal.target`).
- **Ctrl-C while waiting**: the coroutine is cancelled in the portal and has unwound (within
  ``shutdown_timeout``) before ``KeyboardInterrupt`` reaches the caller; in a main thread running the lent loop,
  SIGINT cancels the call instead of raising inside the loop (``_calls.Call.drive``).
- **After os.fork()**: the child has no copy of the loop thread; using a started portal there raises
  :class:`SyncUsageError`. A portal first used in the child works normally.
- **Forgetting close()**: an :mod:`atexit` hook closes every open portal, running the ``on_close`` callbacks
  (the async client's ``aclose()``) *inside* the loop before it stops, so no "Unclosed client session",
  ResourceWarning or "Event loop is closed" appears at exit.
- **Many threads at once**: the loop is started once, under a lock; each call is its own task; one thread at a time
  runs the loop (``_driving``).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
from collections.abc import AsyncIterable, Awaitable, Callable, Generator, Iterator
from concurrent.futures import CancelledError, ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import Any, Final, ParamSpec, TypeVar

from .. import _served as served
from ..errors import ClientClosedError, MultiMarketsError
from ._calls import CLOSED, END, Call, Interrupts, Outcome, Pump, result_of, soon
from ._wake import process_id

__all__ = ["Portal", "SyncUsageError"]

T = TypeVar("T")
P = ParamSpec("P")

logger = logging.getLogger("multimarkets")

_SERVED_HERE: Final = (
    "the sync client was called on the event loop that serves its base URL (a sandbox started with "
    "`async with Sandbox()` on this loop): the call would block that loop, so no answer could come before the "
    "timeout. Use the async client (await ...) here, or serve the sandbox from a thread with Sandbox.in_thread()."
)
_OWN_THREAD: Final = (
    "the sync client was called from inside its own event loop thread (for example from a callback run "
    "by the async client); waiting there would deadlock. Use the async API (await ...) in that code."
)


class SyncUsageError(MultiMarketsError, RuntimeError):
    """The sync API was used where it cannot work: from inside its own event loop thread, or in a child
    process after ``os.fork()``. (A closed client raises :class:`~multimarkets.errors.ClientClosedError`.)"""


class Portal:
    """Runs coroutines of the async core in one event loop owned by this object, from any thread.

    The loop (asyncio, in a daemon thread named ``name``) starts on first use. ``close()`` runs the
    :meth:`on_close` callbacks in the loop, cancels what still runs there, stops the loop and joins the thread;
    it is also done at interpreter exit for portals that were not closed. ``shutdown_timeout`` bounds each
    close callback, the wait for a cancelled coroutine to unwind, and the wait for the thread to end.

    ``lend=True`` lends the loop to callers (see the module docs): for a client, whose calls leave nothing behind
    that must run between them. Without it the loop runs in its thread from the first use to the close, for what
    works in the background (a server).
    """

    def __init__(
        self, *, name: str = "multimarkets-portal", shutdown_timeout: float = 10.0, lend: bool = False
    ) -> None:
        self._name = name
        self._timeout = shutdown_timeout
        self._lend = lend
        self._lock = threading.Lock()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._on_close: list[Callable[[], Awaitable[object]]] = []
        self._driving = threading.Lock()  # held by the thread running the loop: the portal's or a borrower
        # Put to when the portal's thread may have to run the loop. A SimpleQueue, not a threading.Event: put() is
        # one C call, where a Ctrl-C landing inside Event.set()'s Python code could leave its lock taken for ever.
        self._wanted: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._handed = 0  # (lend) calls and iterations the portal's thread must see to their end
        self._finished = False  # the shutdown has run: the loop is done
        self._serving = False  # the portal's thread runs the loop
        self._target: str | None = None  # the origin the calls go to (see target())

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
        """The portal's own thread, which runs the event loop (unless a caller runs it, lent), or None before first
        use."""
        return self._thread

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``await fn(*args, **kwargs)`` in the portal's loop and return its result (or raise its error)."""
        return self._call(Call(partial(fn, *args, **kwargs), self._timeout), reaching=True)

    def call_aside(self, fn: Callable[[], Awaitable[T]]) -> T:
        """:meth:`call` for a coroutine that sends nothing to the :meth:`target` (entering, closing a client):
        allowed on the loop that serves it, where waiting for it blocks nothing it needs."""
        return self._call(Call(fn, self._timeout), reaching=False)

    def _call(self, call: Call[T], *, reaching: bool) -> T:
        try:
            if not (self._lend and _running_loop() is None and self._lent(call)):
                self._submit(call, reaching=reaching)
            return call.result()
        except BaseException:
            call.abandon()  # a Ctrl-C landing after the task was scheduled but before the wait began
            raise

    def _lent(self, call: Call[T]) -> bool:
        """Run ``call`` with the loop lent to this thread if it may be (see _may_borrow); False if not."""
        # The guard first: a KeyboardInterrupt between taking the loop and the try that gives it back would keep
        # it taken for ever.
        with Interrupts.guard(self._timeout) as interrupts:
            if not self._may_borrow():
                return False
            try:
                self._borrow(call, interrupts)
            finally:
                self._driving.release()
        return True

    def iterate(self, fn: Callable[P, AsyncIterable[T]], /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        """Iterate ``fn(*args, **kwargs)`` (an async iterable) from this thread, one item per ``next()``.

        The async iterator lives in a single task of the portal's loop, so cancel scopes, task groups and
        timeouts held across its ``yield`` work. Closing the returned iterator early (``break``, ``close()``,
        an exception) closes the async iterator in the loop before ``close()`` returns.
        """
        self._check_caller(reaching=True)
        return self._iterate(Pump(partial(fn, *args, **kwargs)))

    def target(self, url: str) -> None:
        """Note that the calls go to ``url``: a call made on the running loop that serves its origin (a sandbox in
        this process) raises :class:`SyncUsageError` instead of blocking the server it waits for."""
        self._target = served.origin(url)

    def on_close(self, fn: Callable[[], Awaitable[object]]) -> None:
        """Have ``await fn()`` run in the portal's loop when the portal closes, explicitly or at exit.

        Callbacks run last-registered first. The sync client registers its async client's ``aclose``.
        """
        with self._lock:
            if self._closed:
                raise ClientClosedError(CLOSED)
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
            if shutdown is not None:
                self._wanted.put(None)
        try:
            if shutdown is not None:
                shutdown.result()
        finally:
            if thread is not None:
                thread.join(self._timeout)
                _live_portals.discard(self)

    # -- internals -----------------------------------------------------------------------------------------

    def _forked(self) -> bool:
        return self._pid is not None and self._pid != process_id()

    def _in_loop_thread(self) -> bool:
        if self._thread is None:
            return False
        return threading.get_ident() == self._thread.ident or (self._lend and _running_loop() is self._loop)

    def _check_caller(self, *, reaching: bool) -> None:
        if self._forked():
            raise SyncUsageError(
                f"this client's event loop runs in process {self._pid}; it cannot be used in the child "
                f"process {os.getpid()} after os.fork(). Create a new client in the child."
            )
        if self._in_loop_thread():
            raise SyncUsageError(_OWN_THREAD)
        if reaching and self._target is not None and _running_loop() is served.serving_loop(self._target) is not None:
            raise SyncUsageError(_SERVED_HERE)
        if self._closed:
            raise ClientClosedError(CLOSED)

    def _submit(self, call: Call[T], *, reaching: bool = True) -> None:
        """Start ``fn()`` as a task of the loop (starting the loop first if needed); ``reaching``: it may wait
        for the :meth:`target`."""
        self._check_caller(reaching=reaching)
        with self._lock:  # close() schedules its shutdown under this lock: after every task submitted before
            call.loop = self._open_loop()
            call.scheduled = True
            if self._lend:
                self._hand(call)  # first: the loop may run the call as soon as it is scheduled
            call.loop.call_soon_threadsafe(call.start)

    def _open_loop(self) -> asyncio.AbstractEventLoop:
        """The loop for a new call, started if need be (under the lock); ClientClosedError once closed."""
        if self._closed:
            raise ClientClosedError(CLOSED)
        return self._loop or self._start()

    def _may_borrow(self) -> bool:
        """Whether this thread runs the loop for its call (then holding ``_driving``)."""
        # Lent only while nothing else is in flight: with other calls waiting, the portal's thread runs the loop,
        # and a borrower taking it back between its calls would hold theirs up.
        if self._handed:
            return False
        if self._driving.acquire(False):
            return True
        # Held by another borrower (for a call of its own, perhaps long: hand over), or by the portal's thread,
        # stopping the loop since its last handed call ended: a caller handing over now would start it again, and
        # the next, woken by its answer before the portal's thread let go, likewise, call after call.
        return self._serving and not self._handed and self._driving.acquire(timeout=_LET_GO)

    def _borrow(self, call: Call[T], interrupts: Interrupts | None) -> None:
        """Run ``call`` in the loop from this thread, which holds ``_driving`` and runs no loop of its own."""
        self._check_caller(reaching=False)  # no loop of this thread's can be the one serving the target
        with self._lock:  # as in _submit: a close() that began after this sees the call's task and cancels it
            call.begin(self._open_loop())
        try:
            call.drive(interrupts)
        finally:
            if not call.outcome.done():  # let go of after Ctrl-C: the portal's thread sees it to the end
                with self._lock:
                    self._hand(call)

    def _hand(self, call: Call[Any]) -> None:
        """Have the portal's thread run the loop until ``call`` (scheduled in it) has ended. Under the lock."""
        self._handed += 1
        call.outcome.then = self._handed_ended
        self._wanted.put(None)

    def _handed_ended(self) -> None:
        """In the loop: one handed call has ended; with none left the portal's thread lets the loop rest."""
        with self._lock:
            self._handed -= 1
            idle = not self._handed and not self._closed
        if idle:
            self._stop_if_serving()

    def _stop_if_serving(self) -> None:
        """In the loop: stop it if the portal's thread runs it (a borrower's run ends with its call)."""
        if self._thread is not None and threading.get_ident() == self._thread.ident:
            asyncio.get_running_loop().stop()

    def _start(self) -> asyncio.AbstractEventLoop:
        """Create the loop and its thread (called under the lock); calls may be queued before it runs."""
        loop = asyncio.new_event_loop()
        # Our own default executor, shut down in the portal's thread: the loop's shutdown_default_executor() starts
        # a new thread to do it, which Python 3.12+ refuses once the interpreter is exiting (a never-closed portal).
        # Set here, not in that thread: a borrower may run the loop first.
        executor = ThreadPoolExecutor(thread_name_prefix=f"{self._name}-executor")
        loop.set_default_executor(executor)
        thread = threading.Thread(target=self._serve, args=(loop, executor), name=self._name, daemon=True)
        if not self._lend:
            self._wanted.put(None)  # the loop runs from now until the close
        thread.start()
        self._loop, self._thread, self._pid = loop, thread, os.getpid()
        _live_portals.add(self)
        return loop

    def _serve(self, loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
        asyncio.set_event_loop(loop)
        try:
            while True:
                self._wanted.get()
                while not self._wanted.empty():  # what was put meanwhile is covered by reading _handed below
                    self._wanted.get_nowait()
                with self._driving:
                    # A loop.stop() left over from a lent run that a second Ctrl-C gave up ends run_forever() at its
                    # first turn: run on while there is work for this thread.
                    while not self._finished and (self._handed or self._closed or not self._lend):
                        self._serving = True
                        try:
                            loop.run_forever()
                        except (KeyboardInterrupt, SystemExit):
                            # Raised in a task of a call (by the user's input or callback, never by a signal: those
                            # reach the main thread), and let out of run_forever() by asyncio, which also keeps it
                            # in that task: whatever awaits the task gets it, up to the call's own task, which
                            # hands it to the caller (Call._run). Running on lets that happen; ending this thread
                            # would leave the caller, and every later call, waiting for ever.
                            pass
                        finally:
                            self._serving = False
                    if self._finished:
                        break
            loop.run_until_complete(loop.shutdown_asyncgens())
            executor.shutdown(wait=True)
        finally:
            loop.close()

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
        # A borrower may run the loop now (its call cancelled above ends its run): then the portal's thread,
        # woken by close(), finds the loop finished once it is its turn.
        self._finished = True
        asyncio.get_running_loop().call_soon(self._stop_if_serving)
        if errors:
            raise errors[0]

    def _iterate(self, pump: Pump[T]) -> Generator[T, None, None]:
        call = Call(pump.run, self._timeout)
        reply: Outcome[Any] = Outcome()
        try:
            # In the try: a Ctrl-C landing once the pump's task is scheduled must end it too, or it would wait
            # in the loop for a first request that never comes.
            self._submit(call)
            while True:
                reply = Outcome()
                soon(call.loop, pump.deliver, reply)
                try:
                    item = result_of(reply, orphaned_by=call.outcome)
                except CancelledError:  # the pump ended without answering: say why
                    call.result()
                    raise SyncUsageError("the async iterator stopped without answering") from None
                if item is END:
                    return
                yield item
        except GeneratorExit:  # closed early by the consumer; the pump is idle between two items
            if not call.outcome.done() and not self._forked():
                if self._in_loop_thread():  # finalised by the garbage collector inside the loop: cannot wait
                    pump.deliver(None)
                elif soon(call.loop, pump.deliver, None, quiet=True):
                    call.wait()
            raise
        except BaseException:
            # Ctrl-C (or throw()) while the pump works on an item or, the item come, waits for the next request,
            # or a closed portal: either way the pump must end; idle, it would otherwise wait for ever.
            call.abandon()
            raise


_running_loop = asyncio._get_running_loop  # the thread's running loop or None, without raising
# How long a caller waits for the portal's thread to let go of the loop it is stopping (it takes microseconds;
# bounded because the thread may instead go on with calls handed to it meanwhile).
_LET_GO: Final = 0.001


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
