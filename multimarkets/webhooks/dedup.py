"""Remembering which events were handled, so that a redelivered notification runs the handler only once."""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from typing import Protocol, runtime_checkable

from ..errors import ConfigurationError, MultiMarketsError

__all__ = ["DEFAULT_CLAIM_TTL", "DEFAULT_RETENTION", "Claim", "DedupStore", "DedupStoreError", "MemoryDedupStore"]

DEFAULT_CLAIM_TTL = 300.0
"""Seconds after which a shared store forgets a claim never completed nor released (its process died)."""

DEFAULT_RETENTION = 7 * 24 * 3600.0
"""Seconds a shared store remembers a handled event (the service stops retrying long before)."""


class DedupStoreError(MultiMarketsError):
    """A :class:`DedupStore` could not answer: its backend is down, unreachable, locked or too slow. The shared
    stores raise it in place of their backend's error (whose text it carries, never a password); a custom store
    raises it for the same reasons."""


class Claim(enum.Enum):
    """What a :class:`DedupStore` says about an event key."""

    NEW = "new"
    """Never handled: the caller now owns it and must call ``complete`` or ``release``."""
    DUPLICATE = "duplicate"
    """Already handled successfully."""
    IN_PROGRESS = "in_progress"
    """Being handled right now by another delivery."""


@runtime_checkable
class DedupStore(Protocol):
    """Where handled event keys are kept. Swap the in-memory default for a shared one
    (:class:`~multimarkets.webhooks.SqliteDedupStore`, :class:`~multimarkets.webhooks.RedisDedupStore`) when
    several processes receive notifications; ``claim`` must then be atomic (e.g. ``SET key NX``).

    A store whose backend fails raises :class:`DedupStoreError` (any other exception is a bug and propagates).
    The receiver then answers: from ``claim``, 503 ``GGATEWAY_CODE_012``, so that the service delivers again
    later; from ``complete``, the acknowledgement all the same (the event was handled; the claim stays until it
    expires, and a redelivery after that runs ``on_event`` again); from ``release``, the refusal it was sending
    (the claim stays until it expires, redeliveries meanwhile answer 409). Each is logged with the trace.
    The receiver's ``handle`` calls the store in a worker thread (all but :class:`MemoryDedupStore`, which never
    waits), so a blocking store does not stall the event loop; ``handle_sync`` calls it in the request's thread
    (at most 8 at a time in both together).
    The Data Push stream (``seen=``) calls it in a worker thread too, and logs a failure without ending."""

    def claim(self, key: str) -> Claim:
        """Atomically claim ``key`` for handling; :attr:`Claim.NEW` makes the caller its owner."""
        ...

    def complete(self, key: str) -> None:
        """Record a claimed key as handled: later claims of it answer :attr:`Claim.DUPLICATE`."""
        ...

    def release(self, key: str) -> None:
        """Drop a claim without recording it as handled, so that a redelivery is handled again."""
        ...


class MemoryDedupStore:
    """Thread-safe in-process store keeping the last ``max_size`` handled keys (oldest forgotten first)."""

    __slots__ = ("_done", "_in_progress", "_lock", "_max_size")

    def __init__(self, max_size: int = 10_000) -> None:
        if max_size < 1:
            raise ConfigurationError("max_size must be at least 1")
        self._max_size = max_size
        self._done: OrderedDict[str, None] = OrderedDict()
        self._in_progress: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryDedupStore(max_size={self._max_size}, remembered={len(self)})"

    def __len__(self) -> int:
        return len(self._done)

    def claim(self, key: str) -> Claim:
        """Claim ``key`` for handling unless it was handled or is being handled."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return Claim.DUPLICATE
            if key in self._in_progress:
                return Claim.IN_PROGRESS
            self._in_progress.add(key)
            return Claim.NEW

    def complete(self, key: str) -> None:
        """Mark a claimed key as handled."""
        with self._lock:
            self._in_progress.discard(key)
            self._done[key] = None
            self._done.move_to_end(key)
            while len(self._done) > self._max_size:
                self._done.popitem(last=False)

    def release(self, key: str) -> None:
        """Give up a claim after the handler failed, so that a redelivery is handled again."""
        with self._lock:
            self._in_progress.discard(key)
