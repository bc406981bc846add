"""The interface every limit store implements, and the arithmetic they share.

A slot is one request. It is held from admission until one window after its answer: while in flight its time
is ``admitted + lease`` (a request that never reports back, e.g. its process died, frees its slot by itself),
and on release its time becomes the answer's. A slot counts while ``time > now - window``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import attrs

from ..config import RateLimit
from ..errors import LimitStoreError

__all__ = ["SERVICE_WINDOW", "LimitStore", "LimitStoreError", "Verdict", "verdict_for"]

SERVICE_WINDOW = RateLimit().window
"""Stores keep answers at least this long, so that a limited client created later still sees the key's recent
requests, and forget them after the longest window anyone asked about, also when every client is unlimited."""


@attrs.frozen
class Verdict:
    """A store's answer to ``acquire``: the slot was taken (``wait == 0``), or try again in ``wait`` seconds, or
    the key is banned for ``banned_for`` seconds (nothing taken)."""

    wait: float = 0.0
    banned_for: float = 0.0


@runtime_checkable
class LimitStore(Protocol):
    """Window, 429 pause and 418 ban state per key, shared by whoever uses the same store."""

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        """Atomically take ``slot`` if ``limit`` (None: no limit, only a ban refuses) allows it now."""
        ...

    async def release(self, key: str, slot: str) -> None:
        """The request of ``slot`` was answered (or abandoned) now: it counts for one window from now."""
        ...

    async def occupy(self, key: str, ages: Sequence[float]) -> None:
        """Count requests answered ``ages`` seconds ago (sent by a process that kept no slot for them)."""
        ...

    async def pause(self, key: str, seconds: float) -> None:
        """Hold every limited caller of ``key`` for ``seconds`` (after a 429)."""
        ...

    async def ban(self, key: str, seconds: float) -> float:
        """Refuse every caller of ``key`` for ``seconds`` (after a 418); return how long the ban still runs."""
        ...

    async def aclose(self) -> None:
        """Close connections (the state itself stays in the store)."""
        ...


def verdict_for(limit: RateLimit | None, times: Iterable[float], now: float, paused_until: float) -> Verdict:
    """Whether a limited caller may start now, given the times of the key's slots (the backends' shared rule)."""
    if limit is None:
        return Verdict()
    if paused_until > now:
        return Verdict(wait=paused_until - now)
    held = sorted(t for t in times if t > now - limit.window)
    if len(held) < limit.requests:
        return Verdict()
    oldest = held[len(held) - limit.requests]
    # A slot still in flight is answered at `now` at the earliest, so it frees one window from now at the earliest.
    return Verdict(wait=min(oldest, now) + limit.window - now)
