"""One call through the portal: a coroutine or an async iterator run as a task of the portal's loop, its outcome
handed to the waiting thread with one wake-up each way, or run by the calling thread itself driving the loop
(:meth:`Call.drive`, when the portal lends it its loop). The portal (``_portal.py``) owns the loop and its
lifetime; this module owns what happens to a single call in it, including a Ctrl-C that lands mid-call.

A hand-over is the whole cost of a sync call over an async one: the waiting thread sleeps on its own
:class:`~._wake.Waker`, which the loop wakes when it settles the :class:`Outcome`; not on a
:class:`concurrent.futures.Future`, whose condition variable costs a lock, a waiter lock and a notify round per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import CancelledError
from typing import Any, Final, Generic, TypeVar

from ..errors import ClientClosedError
from ._wake import SIGNAL_CHECK, Waker, waker

T = TypeVar("T")

CLOSED: Final = "this client is closed"

_PENDING, _RESULT, _ERROR, _CANCELLED = range(4)

# The C functions behind ``signal.signal``/``getsignal``: those wrappers turn the handler they return into an enum
# member, failing (with the handler's repr) for a plain function: 17 us per borrowed call against 1.
_signals: Any = getattr(signal, "_signal", signal)
STUCK: Final = 1.0
"""Seconds after which a loop told to stop (Ctrl-C) but still running is taken as blocked (see Interrupts)."""


class Outcome(Generic[T]):
    """A result handed from the loop to one waiting thread: settled once in the loop, waited for elsewhere."""

    __slots__ = ("_state", "_value", "_waiter", "then")

    def __init__(self) -> None:
        self._state = _PENDING
        self._value: Any = None
        self._waiter: Waker | None = None
        self.then: Callable[[], None] | None = None
        """Called in the loop once the outcome is settled (the portal counts the calls its own thread must run)."""

    def done(self) -> bool:
        return self._state != _PENDING

    def set_result(self, value: T) -> None:
        self._settle(_RESULT, value)

    def set_exception(self, exc: BaseException) -> None:
        self._settle(_ERROR, exc)

    def cancel(self) -> None:
        self._settle(_CANCELLED, None)

    def _settle(self, state: int, value: Any) -> None:
        """In the loop thread (the only one that settles): the first outcome wins."""
        if self._state != _PENDING:
            return
        self._value, self._state = value, state
        if self.then is not None:  # first: a caller woken next finds it done
            self.then()
        waiter = self._waiter  # read once: the waiting thread clears it as it stops waiting
        if waiter is not None:
            waiter.wake()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds (rounded up to a whole number of signal checks) for the outcome; True
        once it is settled."""
        if self._state != _PENDING:
            return True
        # Known to the loop before the state is read again: settled from here on, the outcome wakes this thread
        # (if it was settled already, that wake-up only ends a later sleep early).
        self._waiter = sleeper = waker()
        deadline = time.monotonic() + timeout
        try:
            while self._state == _PENDING:
                sleeper.sleep()
                if self._state == _PENDING and time.monotonic() >= deadline:
                    return False
            return True
        finally:
            # Not left to this outcome: an error raised from it holds its frames (a cycle), and with them the
            # thread's waker, so its socket pair and its place among the SOCKET_THREADS, until the collector runs.
            self._waiter = None

    def result(self) -> T:
        """The handed-over outcome: its value, or its error raised (CancelledError if cancelled)."""
        if self._state == _RESULT:
            return self._value  # type: ignore[no-any-return]
        if self._state == _ERROR:
            raise self._value
        raise CancelledError


class Call(Generic[T]):
    """One coroutine run as a task of the portal's loop; its outcome lands in ``outcome`` for the calling thread.

    The task settles ``outcome`` itself when it has unwound: one wake-up of the caller, and a cancelled call's
    ``outcome`` is only settled once the coroutine's cleanup has run.
    """

    loop: asyncio.AbstractEventLoop

    def __init__(self, fn: Callable[[], Awaitable[T]], grace: float) -> None:
        self._fn = fn
        self._grace = grace
        self._task: asyncio.Task[None] | None = None
        self._abandoned = False
        self._poll_first = False
        self.scheduled = False
        self.outcome: Outcome[T] = Outcome()

    def start(self) -> None:
        """In the loop: create the task."""
        self._task = self.loop.create_task(self._run())
        self._task.add_done_callback(self._settle)

    def _settle(self, task: asyncio.Task[None]) -> None:
        self.outcome.cancel()  # cancelled before its first step: ``_run`` never began

    async def _run(self) -> None:
        # Every way out of here settles the outcome. Left registered, the callback would cost the loop one more
        # turn after it has woken the caller, a turn that the caller then pays for in GIL hand-overs.
        if self._task is not None:
            self._task.remove_done_callback(self._settle)
        try:
            if self._poll_first:
                # One turn first, so that the loop, idle since its last call, takes in what happened meanwhile (a
                # keep-alive connection the server closed) before this call picks a pooled connection.
                await asyncio.sleep(0)
            result = await self._fn()
        except asyncio.CancelledError:
            self.outcome.cancel()
            raise
        except BaseException as exc:
            # Also SystemExit or KeyboardInterrupt (raised by a sync handler run in this loop, never a signal:
            # those reach the main thread): the caller's thread raises it, and re-raising it here would stop
            # the loop under every other call and the client's close.
            self.outcome.set_exception(exc)
        else:
            self.outcome.set_result(result)

    def _cancel_in_loop(self) -> None:
        if self._task is not None:  # start() ran first unless a Ctrl-C stopped its scheduling
            self._task.cancel()
        else:
            self.outcome.cancel()

    def cancel(self) -> None:
        """Cancel the task from the calling thread (it unwinds in the loop; :meth:`wait` for that)."""
        soon(self.loop, self._cancel_in_loop, quiet=True)

    def wait(self) -> None:
        """Wait up to ``grace`` seconds for the task to end."""
        self.outcome.wait(self._grace)

    def result(self) -> T:
        """Wait for the outcome; if interrupted while waiting (Ctrl-C), cancel the task and let it unwind first."""
        try:
            return result_of(self.outcome)
        except CancelledError:
            raise ClientClosedError("the client was closed while this call was running") from None
        except BaseException:
            self.abandon()
            raise

    def begin(self, loop: asyncio.AbstractEventLoop) -> None:
        """Make the call's task in ``loop``, which no thread runs now, for :meth:`drive`."""
        self.loop = loop
        self.scheduled = self._poll_first = True
        self.start()

    def drive(self, interrupts: Interrupts | None) -> None:
        """In a thread with no running loop, holding the right to run the loop: run it from this thread until the
        call (:meth:`begin`) has ended or, after Ctrl-C (``interrupts``, in the main thread), has been given up.
        """
        loop, task = self.loop, self._task
        assert task is not None
        if interrupts is not None:
            interrupts.attach(task)
        while not task.done():
            try:
                loop.run_until_complete(task)
            except asyncio.CancelledError:
                pass  # the outcome says so
            except RuntimeError:
                if interrupts is not None and interrupts.gave_up:
                    self._abandoned = True  # cancelled and let go of: the portal's thread sees it to the end
                    return
                if loop.is_closed() or loop.is_running():
                    raise
                # Stopped early by a stop() left over from an earlier run (one a Ctrl-C ended in its midst): run on.

    def abandon(self) -> None:
        """Once (after a Ctrl-C, say): cancel the task if it may be scheduled and has not ended; let it unwind."""
        if self.scheduled and not self._abandoned and not self.outcome.done():
            self._abandoned = True
            self.cancel()
            self.wait()


class Interrupts:
    """Ctrl-C while the main thread runs the loop for a call (``with Interrupts.guard() as interrupts``): no
    KeyboardInterrupt raised wherever the loop happens to be (in another call's callback, in the portal's
    bookkeeping), but the call cancelled; its grace over, or at a second Ctrl-C, the loop stops and the call is let
    go of. KeyboardInterrupt is raised as the guard ends, or by a Ctrl-C coming once the loop has failed to stop
    for :data:`STUCK` seconds (a callback blocks it, perhaps the user's, waiting for input).
    """

    __slots__ = ("_gave_up_at", "_grace", "_task", "_timer", "count")

    def __init__(self, grace: float) -> None:
        self._grace = grace
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._gave_up_at: float | None = None
        self.count = 0

    @property
    def gave_up(self) -> bool:
        """Whether the loop was told to stop and the call let go of."""
        return self._gave_up_at is not None

    @classmethod
    @contextlib.contextmanager
    def guard(cls, grace: float) -> Iterator[Interrupts | None]:
        """In the main thread with Python's own SIGINT handler: this handler until the end, then
        KeyboardInterrupt if a Ctrl-C came. Elsewhere (Ctrl-C raises only in the main thread): None."""
        if threading.current_thread() is not threading.main_thread():
            yield None
            return
        if _signals.getsignal(signal.SIGINT) is not signal.default_int_handler:
            yield None  # the program's own handler: left to do what it does
            return
        interrupts = cls(grace)
        _signals.signal(signal.SIGINT, interrupts)
        try:
            yield interrupts
        finally:
            if _signals.getsignal(signal.SIGINT) is interrupts:  # unless the call set one of its own
                _signals.signal(signal.SIGINT, signal.default_int_handler)
            if interrupts._timer is not None:
                interrupts._timer.cancel()
        if interrupts.count:
            raise KeyboardInterrupt

    def attach(self, task: asyncio.Task[None]) -> None:
        """The call's task, now made; cancelled at once if a Ctrl-C came before."""
        self._task = task
        if self.count:
            self._cancel(task)

    def __call__(self, signum: int, frame: object) -> None:
        # Run by Python in this thread, between two bytecodes of whatever the loop or the portal was running: perhaps
        # inside a callback that has just found a future pending and is about to settle it (asyncio's
        # _sock_connect_cb). Cancelling the task there cancels the future it waits for, and the callback then fails
        # with InvalidStateError, logged by the loop. So the cancellation is a callback of the loop's own, run
        # between two others (and it wakes the loop if it sleeps in its selector); a stop() only sets a flag.
        self.count += 1
        task = self._task
        if task is None:
            return  # the call has no task yet: attach() cancels it
        if self.count == 1:
            task.get_loop().call_soon_threadsafe(self._cancel, task)
            return
        if self._gave_up_at is None:
            self._give_up()
        elif time.monotonic() - self._gave_up_at >= STUCK:
            raise KeyboardInterrupt
        task.get_loop().call_soon_threadsafe(_nothing)  # the loop may be asleep in its selector: wake it

    def _cancel(self, task: asyncio.Task[None]) -> None:
        # Perhaps run once the call has ended (its run stopped before this callback's turn) or been given up (a
        # second Ctrl-C came first; the portal's thread runs this then): no timer then, whose stop() would end the
        # run of a later call or the portal's thread's.
        if task.done():
            return
        task.cancel()
        if self._gave_up_at is None:
            self._timer = task.get_loop().call_later(self._grace, self._give_up)

    def _give_up(self) -> None:
        self._gave_up_at = time.monotonic()
        assert self._task is not None
        self._task.get_loop().stop()

    def __repr__(self) -> str:  # kept short: signal.signal() may format it
        return "<sync call's SIGINT handler>"


def _nothing() -> None:
    pass


class _End:
    """Marks the end of an async iterator in a reply."""


END: Final = _End()


class Pump(Generic[T]):
    """Drives one async iterator inside a single task, one item per request from the consuming thread."""

    def __init__(self, factory: Callable[[], AsyncIterable[T]]) -> None:
        self._factory = factory
        self._requests: asyncio.Queue[Outcome[Any] | None] = asyncio.Queue()
        self._ended = False

    def deliver(self, reply: Outcome[Any] | None) -> None:
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


async def _answer(iterator: AsyncIterator[T], reply: Outcome[Any]) -> bool:
    """Put the next item (or the end, or the error) into ``reply``; False when the iteration is over."""
    try:
        item = await anext(iterator)
    except StopAsyncIteration:
        reply.set_result(END)
        return False
    except Exception as exc:
        reply.set_exception(exc)
        return False
    except BaseException:
        reply.cancel()
        raise
    reply.set_result(item)
    return True


def result_of(outcome: Outcome[T], *, orphaned_by: Outcome[Any] | None = None) -> T:
    """``outcome.result()``, waiting in slices so that a Ctrl-C is never left pending (see ``SIGNAL_CHECK``).

    Once ``orphaned_by`` (the pump's call) is done, nothing can answer ``outcome`` any more, and a request sent
    in the instant between the loop's last run and its ``close()`` is never even read: the wait then ends as
    cancelled rather than forever.
    """
    while not outcome.wait(SIGNAL_CHECK):
        if orphaned_by is not None and orphaned_by.done() and not outcome.done():
            raise CancelledError
    return outcome.result()


def soon(loop: asyncio.AbstractEventLoop, fn: Callable[..., object], *args: Any, quiet: bool = False) -> bool:
    """Run the plain function ``fn(*args)`` in the loop without waiting for it; False if the loop is gone."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError as exc:
        if quiet:
            return False
        raise ClientClosedError(CLOSED) from exc
    return True
