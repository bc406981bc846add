"""The in-process store: every client of the process, sync or async, on any thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import attrs

from ..config import RateLimit
from .base import Verdict, verdict_for

__all__ = ["MemoryLimitStore"]


@attrs.define
class _KeyState:
    slots: dict[str, float] = attrs.Factory(dict)
    paused_until: float = 0.0
    banned_until: float = 0.0
    longest: float = 0.0
    """The longest window any caller asked about: slots older than that no longer matter to anyone."""


class MemoryLimitStore:
    """Keeps the state in this process (the default). ``clock`` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _KeyState] = {}
        self._serial = 0

    def __repr__(self) -> str:
        return "MemoryLimitStore()"

    def _state(self, key: str) -> _KeyState:
        return self._keys.setdefault(key, _KeyState())

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        """Take ``slot`` unless the limit, a pause or a ban says otherwise."""
        with self._lock:
            now = self._clock()
            state = self._state(key)
            if state.banned_until > now:
                return Verdict(banned_for=state.banned_until - now)
            if limit is not None:
                state.longest = max(state.longest, limit.window)
                horizon = now - state.longest
                state.slots = {s: t for s, t in state.slots.items() if t > horizon}
            verdict = verdict_for(limit, state.slots.values(), now, state.paused_until)
            if verdict.wait <= 0:
                state.slots[slot] = now + lease
            return verdict

    async def release(self, key: str, slot: str) -> None:
        """Count the slot from now."""
        with self._lock:
            state = self._state(key)
            if slot in state.slots:
                state.slots[slot] = self._clock()

    async def occupy(self, key: str, ages: Sequence[float]) -> None:
        """Add slots answered ``ages`` seconds ago."""
        with self._lock:
            now = self._clock()
            state = self._state(key)
            for age in ages:
                self._serial += 1
                state.slots[f"occupied-{self._serial}"] = now - age

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
