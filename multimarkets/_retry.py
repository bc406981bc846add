"""When a failed attempt may be repeated, and how long to wait first."""

from __future__ import annotations

import enum
import random

from .errors import (
    MultiMarketsError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TimestampError,
    TransportError,
)

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "Outcome", "backoff", "classify"]

BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0


class Outcome(enum.Enum):
    """What a failed attempt tells about the request."""

    FINAL = "final"
    """Not worth repeating (business error, bad key, ban, ...)."""
    NOT_PROCESSED = "not_processed"
    """The server certainly did not act on it: always safe to repeat."""
    AMBIGUOUS = "ambiguous"
    """The server may have acted on it: repeat only an idempotent or duplicate-guarded call."""


def classify(error: MultiMarketsError) -> Outcome:
    """Sort a failed attempt into :class:`Outcome`."""
    if isinstance(error, (RateLimitError, TimestampError)):
        return Outcome.NOT_PROCESSED
    if isinstance(error, TransportError):
        return Outcome.AMBIGUOUS if error.maybe_processed else Outcome.NOT_PROCESSED
    if isinstance(error, ServerError):
        return Outcome.AMBIGUOUS
    if isinstance(error, ResponseFormatError) and error.http_status == 200:
        # A broken body with status 200: the server answered, so it probably acted; the answer is lost.
        return Outcome.AMBIGUOUS
    return Outcome.FINAL


def backoff(retry_number: int, retry_after: float | None = None, *, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff for the ``retry_number``-th retry (1-based); never below Retry-After."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (retry_number - 1))
    delay = (rng or random).uniform(0, ceiling)
    return max(delay, retry_after or 0.0)
