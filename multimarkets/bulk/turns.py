"""Input order among rows of one run that share an e-mail or phone: the earliest row is sent first."""

from __future__ import annotations

import asyncio

__all__ = ["Turns"]


class Turns:
    """A row is sent only once every earlier row with one of its keys has settled, so the earliest row wins
    (with concurrency, and after a lost answer, a later duplicate could otherwise register the customer with
    its own password and remark).

    Rows enter in input order when handed to the workers and leave when settled, so only the keys of rows in
    flight or queued are held: memory stays bounded by the concurrency, whatever the input's length. Workers
    take rows in input order, so the earliest unsettled row never waits and the run cannot stall.
    """

    def __init__(self) -> None:
        self._queues: dict[str, list[int]] = {}
        # asyncio's event (anyio's costs several times more to make), replaced once set; only while a row waits:
        # rows with keys of their own (the common case) never make one.
        self._changed = asyncio.Event()
        self._waiting = 0

    def enter(self, position: int, keys: tuple[str, ...]) -> bool:
        """Queue the row at ``position`` behind the earlier rows holding its keys; True when there are none (it
        is :meth:`ready` at once, and stays so until it leaves)."""
        queues, ready = self._queues, True
        for key in keys:
            queue = queues.get(key)
            if queue is None:
                queues[key] = [position]  # a list: cheaper to make than a deque, and short
            else:
                queue.append(position)
                ready = False
        return ready

    def leave(self, position: int, keys: tuple[str, ...]) -> None:
        """The row at ``position`` settled: the next rows with its keys may go."""
        queues = self._queues
        for key in keys:
            queue = queues[key]
            if len(queue) == 1:  # this row's alone
                del queues[key]
            else:
                queue.remove(position)
        if keys and self._waiting:
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    def ready(self, position: int, keys: tuple[str, ...]) -> bool:
        """No earlier row sharing one of ``keys`` is unsettled: the row at ``position`` may go."""
        queues = self._queues
        for key in keys:  # noqa: SIM110 - all() over a generator costs more, and this runs for every row
            if queues[key][0] != position:
                return False
        return True

    async def wait(self, position: int, keys: tuple[str, ...]) -> None:
        """Return once the row at ``position`` is :meth:`ready`."""
        while not self.ready(position, keys):
            self._waiting += 1
            try:
                await self._changed.wait()
            finally:
                self._waiting -= 1
