"""Request timestamps corrected by the server's clock, as seen in its ``Date`` headers."""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime

__all__ = ["ServerClock", "clock_for"]

# Date headers have one-second resolution: only skews beyond that are real information.
_SIGNIFICANT_SKEW_MS = 1000


class ServerClock:
    """Wall-clock milliseconds plus the offset learned from the server."""

    def __init__(self) -> None:
        self._offset_ms = 0
        self._lock = threading.Lock()

    @property
    def offset_ms(self) -> int:
        """How far the server's clock is ahead of ours, in milliseconds (0 until a skew is seen)."""
        return self._offset_ms

    def now_ms(self) -> int:
        """The timestamp to put in a request."""
        return time.time_ns() // 1_000_000 + self._offset_ms

    def observe(self, date_header: str | None, *, force: bool = False) -> None:
        """Learn from a response ``Date`` header. ``force`` (after a 00012002) also drops a stale offset."""
        if not date_header:
            return
        try:
            server_ms = int(parsedate_to_datetime(date_header).timestamp() * 1000)
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        # The header is truncated to the second: the true server time is up to 1 s later, so aim mid-second.
        skew = server_ms + 500 - time.time_ns() // 1_000_000
        with self._lock:
            if force or abs(skew) > _SIGNIFICANT_SKEW_MS:
                self._offset_ms = skew if abs(skew) > _SIGNIFICANT_SKEW_MS else 0


_clocks: dict[str, ServerClock] = {}
_clocks_lock = threading.Lock()


def clock_for(base_url: str) -> ServerClock:
    """The process-wide clock of a service."""
    with _clocks_lock:
        return _clocks.setdefault(base_url.rstrip("/"), ServerClock())
