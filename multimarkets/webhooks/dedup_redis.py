"""A :class:`~multimarkets.webhooks.DedupStore` in Redis, shared by receiver processes on any host
(``pip install multimarkets[redis]``). Uses the blocking client: ``DedupStore`` calls are short and synchronous."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from .._redact import url_error, without_password
from ..errors import ConfigurationError
from .dedup import DEFAULT_CLAIM_TTL, DEFAULT_RETENTION, Claim, DedupStoreError

_T = TypeVar("_T")

__all__ = ["RedisDedupStore"]

SOCKET_TIMEOUT_SECONDS = 2.0
"""How long one Redis command (or connecting) may take before it counts as a store failure: short enough for the
receiver's 503 to reach the service before it stops waiting (the platform's own callbacks get 3 s, reference
§7.3), so that it delivers again rather than time out."""

_PREFIX = "multimarkets:dedup:"

_CLAIMED = "claimed:"

_UNCERTAIN_KEYS = 10_000
"""Keys whose claim failed that a store remembers (the oldest forgotten first): enough for a long Redis outage."""

# KEYS: the event's key. ARGV: claim ttl in ms, this attempt's claim value, the values of this store's earlier
# attempts that failed. SET NX, or take over a claim one of those attempts made after all, or the taken key's value,
# in one atomic step.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[1]) then return 'new' end
local value = redis.call('GET', KEYS[1])
for i = 3, #ARGV do
  if value == ARGV[i] then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
    return 'new'
  end
end
return value
"""

_RELEASE = """
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 8) == 'claimed:' then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisDedupStore:
    """Handled event keys in the Redis server at ``url``; same ``claim_ttl`` and ``retention`` as
    :class:`~multimarkets.webhooks.SqliteDedupStore`.

    A command the server does not answer within 2 s (``SOCKET_TIMEOUT_SECONDS``), a refused connection or a
    Redis error raises :class:`~multimarkets.webhooks.DedupStoreError`; a ``url`` that is not a Redis URL
    (``redis://``, ``rediss://``, ``unix://``) :class:`~multimarkets.ConfigurationError`. Redis Cluster is not
    supported: the store talks to the one server of ``url`` (a cluster node answers ``MOVED`` for the keys it
    does not hold).
    """

    def __init__(self, url: str, *, claim_ttl: float = DEFAULT_CLAIM_TTL, retention: float = DEFAULT_RETENTION) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigurationError("RedisDedupStore needs `pip install multimarkets[redis]`") from None
        if claim_ttl <= 0 or retention <= 0:
            raise ConfigurationError("claim_ttl and retention must be positive numbers of seconds")
        self._url = url
        self._claim_ms = int(claim_ttl * 1000)
        self._retention_ms = int(retention * 1000)
        try:
            self._redis: Any = redis.Redis.from_url(
                url, socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS
            )
        except ValueError as exc:  # its text may quote the part it could not read
            raise ConfigurationError(f"{self!r}: not a Redis URL: {url_error(exc, url)}") from None
        # A claim that timed out may still be carried out once Redis answers again (a frozen server runs the
        # commands it had received): without these values, asking again would find the event claimed by that
        # attempt, and refuse it (409) or skip it (Data Push) until the claim expired.
        self._uncertain: OrderedDict[str, list[str]] = OrderedDict()
        self._uncertain_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RedisDedupStore({without_password(self._url)!r})"

    def _call(self, command: Callable[[], _T]) -> _T:
        import redis

        try:
            return command()
        except (redis.RedisError, OSError) as exc:
            raise DedupStoreError(f"{self!r} failed: {exc}") from None

    def claim(self, key: str) -> Claim:
        """Claim ``key`` for handling unless it was handled or is being handled (on any host)."""
        value = _CLAIMED + secrets.token_hex(8)
        with self._uncertain_lock:
            earlier = list(self._uncertain.get(key, ()))
        try:
            state = self._call(lambda: self._redis.eval(_CLAIM, 1, _redis_key(key), self._claim_ms, value, *earlier))
        except DedupStoreError:
            with self._uncertain_lock:
                self._uncertain.setdefault(key, []).append(value)
                self._uncertain.move_to_end(key)
                if len(self._uncertain) > _UNCERTAIN_KEYS:
                    self._uncertain.popitem(last=False)
            raise
        with self._uncertain_lock:
            self._uncertain.pop(key, None)
        if state == b"new":
            return Claim.NEW
        return Claim.DUPLICATE if state == b"done" else Claim.IN_PROGRESS

    def complete(self, key: str) -> None:
        """Mark a claimed key as handled."""
        self._call(lambda: self._redis.set(_redis_key(key), "done", px=self._retention_ms))

    def release(self, key: str) -> None:
        """Give up a claim, so that a redelivery is handled again."""
        self._call(lambda: self._redis.eval(_RELEASE, 1, _redis_key(key)))

    def close(self) -> None:
        """Close the connections."""
        self._redis.close()


def _redis_key(key: str) -> str:
    return _PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()
