"""A user's own dedup store whose backend hangs until the test lets it go: whatever calls it on the event loop
holds every coroutine up, which the tests of the receiver and the Data Push stream show they do not."""

from __future__ import annotations

import threading

import anyio
import anyio.to_thread

from multimarkets.webhooks import Claim, MemoryDedupStore


class Stuck:
    """A user's own store whose backend hangs until the test lets it ``go``; ``entered`` counts claims,
    ``completed`` and ``released`` the events recorded and given up."""

    def __init__(self) -> None:
        self.inner = MemoryDedupStore()
        self.entered = threading.Semaphore(0)
        self.completed = threading.Semaphore(0)
        self.released = threading.Semaphore(0)
        self.go = threading.Event()

    def claim(self, key: str) -> Claim:
        self.entered.release()
        # A deadline only so that a receiver that blocks the test (the loop, the default pool) fails it, not hangs it.
        if not self.go.wait(timeout=30):
            raise RuntimeError("the test could not let the claim go for 30 s")
        return self.inner.claim(key)

    def complete(self, key: str) -> None:
        self.inner.complete(key)
        self.completed.release()

    def release(self, key: str) -> None:
        self.inner.release(key)
        self.released.release()

    async def claims_started(self, count: int) -> None:
        """Wait until ``count`` claims have started, in a thread of its own (the default pool may be taken)."""

        def wait() -> None:
            for _ in range(count):
                self.entered.acquire()

        await anyio.to_thread.run_sync(wait, limiter=anyio.CapacityLimiter(1))
