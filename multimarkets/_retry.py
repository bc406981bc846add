"""How long to wait before repeating a failed attempt (whether to: :func:`multimarkets.errors.classify`)."""

from __future__ import annotations

import random

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "MAX_RETRY_AFTER", "backoff"]

BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
MAX_RETRY_AFTER = 120.0
"""The longest pause a 429's Retry-After imposes: two of the service's one-minute windows (its hint is the time
until the window has room, at most one window). A call is not repeated after a longer hint: it raises
:class:`~multimarkets.errors.RateLimitError` with the hint in ``retry_after``, and the key pauses this long."""


def backoff(retry_number: int, retry_after: float | None = None, *, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff for the ``retry_number``-th retry (1-based); never below Retry-After."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (retry_number - 1))
    delay = (rng or random).uniform(0, ceiling)
    return max(delay, retry_after or 0.0)
