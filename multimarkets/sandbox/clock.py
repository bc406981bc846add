"""The sandbox's wall clock: real time plus a skew set through ``/__sandbox__/clock``."""

from __future__ import annotations

import time
from email.utils import formatdate

__all__ = ["WallClock"]


class WallClock:
    """UNIX milliseconds as the sandbox sees them; the ``Date`` header follows the same skewed clock."""

    __slots__ = ("_date", "_second", "skew_ms")

    def __init__(self) -> None:
        self.skew_ms = 0
        self._second = -1
        self._date = ""

    def now_ms(self) -> int:
        """Wall-clock milliseconds plus the skew."""
        return time.time_ns() // 1_000_000 + self.skew_ms

    def date_header(self, now_ms: int) -> str:
        """An HTTP ``Date`` value for ``now_ms``, formatted once per second."""
        second = now_ms // 1000
        if second != self._second:
            self._second = second
            self._date = formatdate(second, usegmt=True)
        return self._date
