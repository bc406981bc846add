"""The per-API-key sliding-window limiter and 418 breaker, shared by every client in the process.

One :class:`KeyLimiter` exists per ``(base_url, api_key)``; sync clients (each on its own portal thread and
event loop) and async clients share it, so all state sits behind a ``threading.Lock`` and waiting is done
with the caller's own ``anyio.sleep``.

A request occupies a slot from the moment it is admitted until ``window`` seconds after its answer arrived.
The server stamps a request somewhere between our send and its answer, so counting from the answer can
never put more than ``requests`` of ours into any server window, whatever the network jitter; it costs one
round trip per window of throughput (for 100/60 s, a few milliseconds a minute).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

import anyio

from .config import RateLimit
from .errors import IPBannedError

__all__ = ["DEFAULT_BAN_SECONDS", "KeyLimiter", "limiter_for"]

DEFAULT_BAN_SECONDS = 300.0
"""How long a 418 stops calls when the server does not say: the documented first ban is 5 minutes."""

_POLL_SECONDS = 0.005


class KeyLimiter:
    """Admits at most ``limit.requests`` requests per sliding ``limit.window`` and enforces bans."""

    def __init__(self, limit: RateLimit | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._banned_until = 0.0

    @property
    def limit(self) -> RateLimit | None:
        """The limit in force (None: not limited on our side)."""
        return self._limit

    def set_limit(self, limit: RateLimit | None) -> None:
        """Change the limit, e.g. after negotiating a higher one with the operator."""
        with self._lock:
            self._limit = limit

    def _delay(self, now: float) -> float:
        """Seconds until a request may start (0: now). Caller holds the lock."""
        if self._banned_until > now:
            raise IPBannedError(
                f"API key is banned for ignoring rate limits; calls resume in {self._banned_until - now:.0f} s",
                code="HTTP 418",
                http_status=418,
                banned_until=self._banned_until,
            )
        if self._paused_until > now:
            return self._paused_until - now
        limit = self._limit
        if limit is None:
            return 0.0
        horizon = now - limit.window
        while self._finished and self._finished[0] <= horizon:
            self._finished.popleft()
        if len(self._finished) + self._in_flight < limit.requests:
            return 0.0
        if self._finished:
            return self._finished[0] - horizon
        return _POLL_SECONDS  # every slot is held by a request still in flight

    def try_acquire(self) -> float:
        """Take a slot and return 0, or return the seconds to wait before trying again (nothing taken).

        Raises :class:`IPBannedError` while the key is banned.
        """
        with self._lock:
            delay = self._delay(self._clock())
            if delay <= 0:
                self._in_flight += 1
            return delay

    async def acquire(self) -> None:
        """Wait for a slot; raises :class:`IPBannedError` while the key is banned."""
        # Sleeping for the computed delay, not waiting on an event: waiters live in different event loops.
        while True:
            delay = self.try_acquire()
            if delay <= 0:
                return
            await anyio.sleep(delay)

    def release(self) -> None:
        """Mark the admitted request as answered (or abandoned): its slot runs for one window from now."""
        with self._lock:
            self._in_flight -= 1
            if self._limit is not None:
                self._finished.append(self._clock())

    def occupy(self, wall_times: Iterable[float]) -> None:
        """Count requests that another process sent with this key (e.g. a killed run, from its journal) as
        answered at these wall-clock times, so that this process keeps to the service's window from its start."""
        offset = self._clock() - time.time()
        with self._lock:
            self._finished = deque(sorted([*self._finished, *(t + offset for t in wall_times)]))

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (after a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def ban(self, seconds: float) -> float:
        """Open the breaker for ``seconds`` (after a 418); returns the monotonic time it closes."""
        with self._lock:
            self._banned_until = max(self._banned_until, self._clock() + seconds)
            return self._banned_until


_registry: dict[tuple[str, str], KeyLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(base_url: str, api_key: str, limit: RateLimit | None) -> KeyLimiter:
    """The process-wide limiter of a key. A later client that asks for another limit changes it for all."""
    key = (base_url.rstrip("/"), api_key)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = KeyLimiter(limit)
        elif limiter.limit != limit:
            limiter.set_limit(limit)
        return limiter
