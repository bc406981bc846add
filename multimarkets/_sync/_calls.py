"""One call through the portal: a coroutine or an async iterator run as a task of the portal's loop, its outcome
handed to the waiting thread with one wake-up each way. The portal (``_portal.py``) owns the loop and its
lifetime; this module owns what happens to a single call in it, including a Ctrl-C that lands mid-call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as WaitTimeout
from typing import Any, Final, Generic, TypeVar

from ..errors import ClientClosedError

T = TypeVar("T")

CLOSED: Final = "this client is closed"
# A waiting thread wakes this often although nothing happened: CPython runs signal handlers between bytecodes
# and when a blocking wait is interrupted, so a Ctrl-C landing just before the wait blocks would otherwise be
# noticed only when the call ends, which may be never.
_SIGNAL_CHECK: Final = 0.25


class Call(Generic[T]):
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
            # Also SystemExit or KeyboardInterrupt (raised by a sync handler run in this loop, never a signal:
            # those reach the main thread): the caller's thread raises it, and re-raising it here would stop
            # the loop under every other call and the client's close.
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)

    def _cancel_in_loop(self) -> None:
        if self._task is not None:  # start() ran first unless a Ctrl-C stopped its scheduling
            self._task.cancel()
        else:
            self.future.cancel()

    def cancel(self) -> None:
        """Cancel the task from the calling thread (it unwinds in the loop; :meth:`wait` for that)."""
        soon(self.loop, self._cancel_in_loop, quiet=True)

    def wait(self) -> None:
        """Wait up to ``grace`` seconds for the task to end (``concurrent.futures.wait`` would miss a cancel)."""
        with contextlib.suppress(CancelledError, WaitTimeout):
            self.future.exception(self._grace)

    def result(self) -> T:
        """Wait for the outcome; if interrupted while waiting (Ctrl-C), cancel the task and let it unwind first."""
        try:
            return result_of(self.future)
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


END: Final = _End()


class Pump(Generic[T]):
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


def result_of(future: Future[T], *, orphaned_by: Future[Any] | None = None) -> T:
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


def soon(loop: asyncio.AbstractEventLoop, fn: Callable[..., object], *args: Any, quiet: bool = False) -> bool:
    """Run the plain function ``fn(*args)`` in the loop without waiting for it; False if the loop is gone."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError as exc:
        if quiet:
            return False
        raise ClientClosedError(CLOSED) from exc
    return True
