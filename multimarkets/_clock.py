"""Request timestamps corrected by the server's clock, as seen in its ``Date`` headers.

Only answers that are valid envelopes of the configured origin teach the clock (redirects are never followed,
so every answer comes from that origin). A routine answer moves the offset by at most
:data:`ROUTINE_STEP_MS`, so one bad ``Date`` cannot drag every client's timestamps far; a large correction
happens only after the service rejected our timestamp (00012002).
"""

from __future__ import annotations

import functools
import threading
import time
from email.utils import parsedate_to_datetime

__all__ = ["ROUTINE_STEP_MS", "ServerClock", "clock_for", "forget_clocks"]

# Date headers have one-second resolution: only skews beyond that are real information.
_SIGNIFICANT_SKEW_MS = 1000

ROUTINE_STEP_MS = 1000
"""How far one accepted answer may move the offset, unless the service rejected our timestamp."""


@functools.lru_cache(maxsize=4)
def _server_ms(date_header: str) -> int | None:
    """Epoch milliseconds of a ``Date`` header; None if unreadable. Cached: one header serves a whole second
    of answers, and parsing it costs more than the rest of reading an answer's headers."""
    try:
        return int(parsedate_to_datetime(date_header).timestamp() * 1000)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class ServerClock:
    """Wall-clock milliseconds plus the offset learned from the server."""

    def __init__(self) -> None:
        self._offset_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """The timestamp to put in a request."""
        return time.time_ns() // 1_000_000 + self._offset_ms

    def observe(self, date_header: str | None, *, rejected: bool = False) -> None:
        """Learn from the ``Date`` of a valid envelope; ``rejected`` when it said our timestamp was wrong."""
        server_ms = _server_ms(date_header) if date_header else None
        if server_ms is None:
            return
        # How far the server's clock is ahead of ours. The header is truncated to the second: the true server time
        # is up to 1 s later, so aim mid-second.
        skew = server_ms + 500 - time.time_ns() // 1_000_000
        if not rejected and abs(skew - self._offset_ms) <= _SIGNIFICANT_SKEW_MS:
            return  # the usual answer: nothing to learn, decided without taking the lock
        with self._lock:
            if rejected:
                self._offset_ms = skew if abs(skew) > _SIGNIFICANT_SKEW_MS else 0
                return
            gap = skew - self._offset_ms
            if abs(gap) > _SIGNIFICANT_SKEW_MS:
                self._offset_ms += max(-ROUTINE_STEP_MS, min(ROUTINE_STEP_MS, gap))


_clocks: dict[str, ServerClock] = {}
_clocks_lock = threading.Lock()


def clock_for(base_url: str) -> ServerClock:
    """The process-wide clock of a service."""
    with _clocks_lock:
        return _clocks.setdefault(base_url.rstrip("/"), ServerClock())


def forget_clocks(origin: str) -> None:
    """Forget the clocks learned of the services under ``origin`` (``scheme://host:port``): another server
    answers there now (a test's fresh sandbox on a port an earlier one had). Clients made before keep theirs."""
    origin = origin.rstrip("/")
    with _clocks_lock:
        for base_url in [url for url in _clocks if url == origin or url.startswith(origin + "/")]:
            del _clocks[base_url]
