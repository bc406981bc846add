"""One count of the calls in a dedup store, shared by coroutines and threads: a receiver serving an ASGI and a
WSGI route at once has its 8 calls in the store in all, not 8 of each kind."""

from __future__ import annotations

import asyncio
import math
import threading
from collections import deque
from collections.abc import Callable

import anyio

__all__ = ["StoreSlots"]


class StoreSlots:
    """``size`` slots, taken by threads (blocking) or by coroutines of an asyncio loop (awaiting, the loop free
    meanwhile), and freed from any thread. A freed slot goes to the longest waiter, thread or coroutine."""

    __slots__ = ("_free", "_lock", "_waiters")

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._free = size
        self._waiters: deque[_Waiter] = deque()

    @property
    def waiting(self) -> int:
        """Takers waiting for a slot."""
        return len(self._waiters)

    def take_nowait(self) -> bool:
        """A slot if one is free and nobody waits for one, without waiting."""
        with self._lock:
            return self._take_free()

    def take(self, within: float | None) -> bool:
        """A slot for the calling thread, waiting at most ``within`` seconds (None: however long)."""
        with self._lock:
            if self._take_free():
                return True
            woken = threading.Event()
            waiter = _Waiter(woken.set)
            self._waiters.append(waiter)
        woken.wait(within)
        return self._given(waiter)

    async def take_async(self, within: float | None) -> bool:
        """A slot for the calling coroutine (asyncio only), waiting at most ``within`` seconds (None: however
        long). A caller cancelled meanwhile leaves no slot taken."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._take_free():
                return True
            woken: asyncio.Future[None] = loop.create_future()
            waiter = _Waiter(lambda: loop.call_soon_threadsafe(_resolve, woken))
            self._waiters.append(waiter)
        try:
            with anyio.move_on_after(math.inf if within is None else within):
                await woken
        except BaseException:
            if self._given(waiter):  # freed to it just as it was cancelled: pass it on
                self.release()
            raise
        return self._given(waiter)

    def release(self) -> None:
        """Give a slot back, from any thread."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                try:
                    waiter.wake()
                except RuntimeError:  # its event loop is closed: it waits no more
                    continue
                waiter.given = True
                return
            self._free += 1

    def _take_free(self) -> bool:
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    def _given(self, waiter: _Waiter) -> bool:
        """Whether ``waiter`` was given a slot; if not, it stops waiting for one."""
        with self._lock:
            if not waiter.given and waiter in self._waiters:
                self._waiters.remove(waiter)
            return waiter.given


class _Waiter:
    __slots__ = ("given", "wake")

    def __init__(self, wake: Callable[[], object]) -> None:
        self.wake = wake
        self.given = False


def _resolve(woken: asyncio.Future[None]) -> None:
    if not woken.done():  # a waiter cancelled meanwhile has its future cancelled
        woken.set_result(None)
