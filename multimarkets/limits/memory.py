"""The in-process store: every client of the process, sync or async, on any thread."""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Sequence

import attrs

from ..config import RateLimit
from .base import SERVICE_WINDOW, Verdict

__all__ = ["MemoryLimitStore"]


@attrs.define
class _KeyState:
    answered: list[float] = attrs.Factory(list)
    """Answer times, ascending; those before ``head`` have left every window and wait to be dropped."""
    head: int = 0
    in_flight: dict[str, float] = attrs.Factory(dict)
    """Requests admitted and not yet answered, with the end of their lease."""
    leases_end_from: float = math.inf
    """No lease in ``in_flight`` ends before this (one may end later: a released slot does not raise it)."""
    paused_until: float = 0.0
    banned_until: float = 0.0
    longest: float = SERVICE_WINDOW
    """The longest window any caller asked about: answers older than that no longer matter to anyone."""

    def expire_leases(self, now: float) -> None:
        # A request that never reported back counts as answered when its lease ended (see base).
        for slot, end in [(s, e) for s, e in self.in_flight.items() if e <= now]:
            del self.in_flight[slot]
            bisect.insort(self.answered, end, lo=self.head)
        self.leases_end_from = min(self.in_flight.values(), default=math.inf)

    def forget_before(self, horizon: float) -> None:
        answered, head = self.answered, self.head
        if head < len(answered) and answered[head] > horizon:
            return  # nothing left the window since the last call (the usual): one comparison, not a search
        self.head = bisect.bisect_right(answered, horizon, lo=head)
        # Dropping the prefix costs a copy, so do it once half the list is dead: amortised O(1) per request.
        if self.head > len(self.answered) // 2:
            del self.answered[: self.head]
            self.head = 0


_GO = Verdict()
"""Go ahead: the verdict of most admissions, one frozen instance for all."""


class MemoryLimitStore:
    """Keeps the state in this process (the default). ``clock`` is monotonic seconds.

    A request costs O(log n + requests in flight), whatever the traffic of the key: answers sit in one sorted
    list, and only the requests in flight are looked at one by one.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _KeyState] = {}

    def __repr__(self) -> str:
        return "MemoryLimitStore()"

    def _state(self, key: str) -> _KeyState:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState()
        return state

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        """Take ``slot`` unless the limit, a pause or a ban says otherwise."""
        return self.acquire_now(key, slot, limit, lease)

    def acquire_now(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        """:meth:`acquire` without the coroutine: this store never waits to answer."""
        with self._lock:
            now = self._clock()
            state = self._keys.get(key) or self._state(key)
            if state.banned_until > now:
                return Verdict(banned_for=state.banned_until - now)
            if limit is not None:
                state.longest = max(state.longest, limit.window)
            if now >= state.leases_end_from:
                # Leases run for the timeout and more: the requests in flight are looked at once one may have
                # ended, not on every admission.
                state.expire_leases(now)
            state.forget_before(now - state.longest)
            verdict = _GO if limit is None else self._verdict(state, limit, now)
            if verdict.wait <= 0:
                end = state.in_flight[slot] = now + lease
                if end < state.leases_end_from:
                    state.leases_end_from = end
            return verdict

    @staticmethod
    def _verdict(state: _KeyState, limit: RateLimit, now: float) -> Verdict:
        # The same rule as base.verdict_for, where every request in flight sorts after every answer.
        if state.paused_until > now:
            return Verdict(wait=state.paused_until - now)
        start = bisect.bisect_right(state.answered, now - limit.window, lo=state.head)
        answered = len(state.answered) - start
        surplus = answered + len(state.in_flight) - limit.requests
        if surplus < 0:
            return _GO
        if surplus >= answered:  # the slot that must free up is still in flight: answered now at the earliest
            return Verdict(wait=limit.window)
        return Verdict(wait=state.answered[start + surplus] + limit.window - now)

    async def release(self, key: str, slot: str) -> None:
        """Count the slot from now."""
        self.release_now(key, slot)

    def release_now(self, key: str, slot: str) -> None:
        """:meth:`release` without the coroutine."""
        with self._lock:
            state = self._keys.get(key)
            if state is not None and state.in_flight.pop(slot, None) is not None:
                now, answered = self._clock(), state.answered
                if not answered or answered[-1] <= now:
                    answered.append(now)  # the usual: with a monotonic clock every answer is the latest yet
                else:
                    bisect.insort(answered, now, lo=state.head)

    async def occupy(self, key: str, ages: Sequence[float]) -> None:
        """Add slots answered ``ages`` seconds ago."""
        with self._lock:
            now = self._clock()
            state = self._state(key)
            for age in ages:
                bisect.insort(state.answered, now - age, lo=state.head)

    async def pause(self, key: str, seconds: float) -> None:
        """Hold limited callers for ``seconds``."""
        with self._lock:
            state = self._state(key)
            state.paused_until = max(state.paused_until, self._clock() + seconds)

    async def ban(self, key: str, seconds: float) -> float:
        """Refuse every caller for ``seconds``."""
        with self._lock:
            now = self._clock()
            state = self._state(key)
            state.banned_until = max(state.banned_until, now + seconds)
            return state.banned_until - now

    async def aclose(self) -> None:
        """Nothing to close: the state lives as long as the process."""
