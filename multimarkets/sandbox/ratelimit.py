"""The service's documented limits, per API key (reference §4).

At most ``requests`` per sliding ``window``; the first request over the limit gets HTTP 429 and puts the
key in the "429 state"; any further request over the limit while in that state gets HTTP 418 and bans the
key. The n-th ban lasts n times ``ban`` (5 min, 10 min, 15 min, ...) and during a ban every request gets 418.
The 429 state ends as soon as a slot frees up.

Counting: a request counts from the moment it is admitted (when it enters the gateway, before any handler
runs), whatever its later fate (bad signature, stale timestamp, business error): the safe reading of "100
requests per minute". Requests answered 429 or 418 do not take a slot.
"""

from __future__ import annotations

import enum
import math
from collections import deque

import attrs

from ..config import RateLimit

__all__ = ["KeyLimiter", "Verdict", "VerdictKind"]


class VerdictKind(enum.Enum):
    """What the limiter decided for one request."""

    ALLOWED = 200
    LIMITED = 429
    BANNED = 418


@attrs.frozen
class Verdict:
    """A decision plus what the ``x-ratelimit-*`` and ``Retry-After`` headers need."""

    kind: VerdictKind
    remaining: int
    retry_after: float
    """Seconds until a request may succeed again (0 when allowed)."""

    def headers(self, limit: RateLimit) -> dict[str, str]:
        """The rate-limit headers of the answer (``remairing`` is misspelt as in the service's docs)."""
        headers = {
            "x-ratelimit-limit": str(limit.requests),
            "x-ratelimit-remairing": str(self.remaining),
            "x-ratelimit-reset": str(math.ceil(limit.window)),
        }
        if self.kind is not VerdictKind.ALLOWED:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


class KeyLimiter:
    """Sliding-window limit, 429 state and escalating bans of one API key. Times come from one monotonic clock."""

    __slots__ = ("_hits", "ban", "ban_count", "banned_until", "limit", "throttled")

    def __init__(self, limit: RateLimit, ban: float) -> None:
        self.limit = limit
        self.ban = ban
        self._hits: deque[float] = deque()
        self.throttled = False
        self.banned_until = -math.inf
        self.ban_count = 0

    def admit(self, now: float) -> Verdict:
        """Decide for a request admitted at ``now``; calls must come in non-decreasing ``now`` order."""
        if now < self.banned_until:
            return Verdict(VerdictKind.BANNED, 0, self.banned_until - now)
        window = self.limit.window
        hits = self._hits
        horizon = now - window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) < self.limit.requests:
            hits.append(now)
            self.throttled = False
            return Verdict(VerdictKind.ALLOWED, self.limit.requests - len(hits), 0.0)
        if self.throttled:
            self.throttled = False
            self.ban_count += 1
            self.banned_until = now + self.ban * self.ban_count
            return Verdict(VerdictKind.BANNED, 0, self.banned_until - now)
        self.throttled = True
        return Verdict(VerdictKind.LIMITED, 0, hits[0] - horizon)

    def ban_state(self, now: float) -> dict[str, float | int | bool]:
        """What ``/__sandbox__/stats`` shows for this key."""
        remaining = max(0.0, self.banned_until - now)
        return {
            "banned": remaining > 0,
            "banned_until_in_s": round(remaining, 3),
            "ban_count": self.ban_count,
            "throttled": self.throttled,
        }

    def reset(self) -> None:
        """Forget hits, the 429 state and every ban."""
        self._hits.clear()
        self.throttled = False
        self.banned_until = -math.inf
        self.ban_count = 0
