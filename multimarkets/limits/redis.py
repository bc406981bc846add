"""Redis shared by every process on every host (``pip install multimarkets[redis]``).

Each operation is one Lua script, so it is atomic across clients, and it reads the Redis server's clock
(``TIME``), so hosts whose clocks disagree still agree on the window. State per key: a sorted set of slots
(member: slot id, score: its time) and a hash with ``paused_until``, ``banned_until`` and ``longest``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from .._redact import url_error, without_password
from ..config import RateLimit
from ..errors import ConfigurationError
from .base import SERVICE_WINDOW, LimitStoreError, Verdict

__all__ = ["RedisLimitStore"]

SOCKET_TIMEOUT_SECONDS = 2.0
"""How long one Redis command may take before it counts as a store failure."""

_PREFIX = "multimarkets:limit:"

_SHORTEST_WAIT = 0.001

# KEYS: slots, state. ARGV: slot, requests (0: unlimited), window, lease, the service's window. The rule of
# base.verdict_for; unlimited callers prune and set the expiry too, or their slots would stay forever.
# Returns {kind, seconds}, seconds as text: Lua numbers would reach us truncated to integers.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local requests, window, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local banned = tonumber(redis.call('HGET', KEYS[2], 'banned_until') or '0')
if banned > now then return {'ban', tostring(banned - now)} end
local longest = math.max(window, tonumber(redis.call('HGET', KEYS[2], 'longest') or '0'))
local horizon = math.max(longest, tonumber(ARGV[5]))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - horizon)
if requests > 0 then
  redis.call('HSET', KEYS[2], 'longest', tostring(longest))
  local paused = tonumber(redis.call('HGET', KEYS[2], 'paused_until') or '0')
  if paused > now then return {'wait', tostring(paused - now)} end
  -- %.17g: tostring() keeps 14 digits, 0.1 ms of a UNIX time, and would count a slot that has just expired.
  local floor = '(' .. string.format('%.17g', now - window)
  local held = redis.call('ZCOUNT', KEYS[1], floor, '+inf')
  if held >= requests then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], floor, '+inf', 'WITHSCORES', 'LIMIT', held - requests, 1)
    return {'wait', tostring(math.min(tonumber(oldest[2]), now) + window - now)}
  end
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil((horizon + lease) * 1000))
return {'ok', '0'}
"""

# KEYS: slots. ARGV: slot, or (with ARGV[1] == '') ages of occupied slots.
_STAMP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if ARGV[1] ~= '' then return redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1]) end
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], now - tonumber(ARGV[i]), ARGV[2] .. i) end
return 0
"""

# KEYS: state. ARGV: field, seconds. Returns the seconds until the (possibly longer, earlier) end.
_EXTEND = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = math.max(now + tonumber(ARGV[2]), tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0'))
redis.call('HSET', KEYS[1], ARGV[1], tostring(until_))
return tostring(until_ - now)
"""


class RedisLimitStore:
    """Window and ban state in the Redis server at ``url`` (``redis://``, ``rediss://`` or ``unix://``).

    Redis Cluster is not supported: the store talks to the one server of ``url``, and each script touches two
    keys of an API key (``...:slots`` and ``...:state``) that a cluster may place on different nodes.
    """

    def __init__(self, url: str) -> None:
        try:
            import redis.asyncio  # noqa: F401  (fail now, not at the first request)
        except ImportError:
            raise ConfigurationError("the Redis limit store needs `pip install multimarkets[redis]`") from None
        from redis.connection import parse_url

        read_url: Callable[[str], object] = parse_url  # untyped in redis-py
        self._url = url
        self._client: Any = None
        try:
            read_url(url)  # the client is made on first use: its URL is read now, not at the first request
        except ValueError as exc:  # its text may quote the part it could not read
            raise ConfigurationError(f"{self!r}: not a Redis URL: {url_error(exc, url)}") from None

    def __repr__(self) -> str:
        return f"RedisLimitStore({without_password(self._url)!r})"

    def _redis(self) -> Any:
        # Made on first use, in the event loop of the client that owns this store (one per client).
        import redis.asyncio

        if self._client is None:
            self._client = redis.asyncio.Redis.from_url(
                self._url, socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS
            )
        return self._client

    async def _eval(self, script: str, keys: Sequence[str], *args: object) -> Any:
        import redis.exceptions

        try:
            return await self._redis().eval(script, len(keys), *keys, *args)
        except (redis.exceptions.RedisError, OSError, asyncio.TimeoutError) as exc:
            raise LimitStoreError(f"limit store {without_password(self._url)} failed: {exc}") from None

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        """Take ``slot`` in one script unless the limit, a pause or a ban says otherwise."""
        requests, window = (limit.requests, limit.window) if limit is not None else (0, 0.0)
        kind, seconds = await self._eval(
            _ACQUIRE, _keys(key), slot, requests, repr(window), repr(lease), repr(SERVICE_WINDOW)
        )
        value = float(seconds)
        if kind == b"ok":
            return Verdict()
        if kind == b"ban":
            return Verdict(banned_for=value)
        # A wait is never a go, however short (the slot was not taken).
        return Verdict(wait=max(value, _SHORTEST_WAIT))

    async def release(self, key: str, slot: str) -> None:
        """Count the slot from now (by the server's clock)."""
        await self._eval(_STAMP, _keys(key)[:1], slot)

    async def occupy(self, key: str, ages: Sequence[float]) -> None:
        """Add slots answered ``ages`` seconds ago."""
        if ages:
            await self._eval(_STAMP, _keys(key)[:1], "", f"occupied-{uuid.uuid4().hex}-", *map(repr, ages))

    async def pause(self, key: str, seconds: float) -> None:
        """Hold limited callers on every host for ``seconds``."""
        await self._eval(_EXTEND, _keys(key)[1:], "paused_until", repr(seconds))

    async def ban(self, key: str, seconds: float) -> float:
        """Refuse every caller on every host for ``seconds``."""
        return float(await self._eval(_EXTEND, _keys(key)[1:], "banned_until", repr(seconds)))

    async def aclose(self) -> None:
        """Close this store's connections."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def _keys(key: str) -> list[str]:
    return [f"{_PREFIX}{key}:slots", f"{_PREFIX}{key}:state"]
