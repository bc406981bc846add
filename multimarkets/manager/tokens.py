"""The Manager API token: fetched on first need with appId/appSecret, cached, replaced when the service says
the login expired (reference manager-api §2.3: no lifetime or refresh endpoint is documented).

However many calls find the token expired at once, one auth call replaces it: each caller discards only the
token it was refused with, and fetching happens under a lock that re-checks the cache. When that auth call
fails, the callers that waited for it fail with its error instead of each trying again in turn (which made
the last of N callers wait N auth calls); a later call fetches anew.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import attrs

__all__ = ["Token", "TokenCache"]


@attrs.frozen
class Token:
    """What the auth call yields for later calls: the ``token`` header, the company id and its public key."""

    value: str = attrs.field(repr=False)
    company_id: str
    public_key: str | None = attrs.field(default=None, repr=False)


class TokenCache:
    """Holds the current token; ``fetch`` runs the auth call. Bound to one event loop (one per client)."""

    __slots__ = ("_failed", "_failures", "_fetch", "_fetches", "_lock", "_token")

    def __init__(self, fetch: Callable[[], Awaitable[Token]]) -> None:
        self._fetch = fetch
        self._token: Token | None = None
        self._lock: asyncio.Lock | None = None
        self._fetches = 0
        self._failures = 0
        self._failed: Exception | None = None

    @property
    def fetches(self) -> int:
        """How many auth calls this cache has made."""
        return self._fetches

    @property
    def current(self) -> Token | None:
        """The cached token, if any (no I/O)."""
        return self._token

    async def get(self) -> Token:
        """The cached token, or a new one: at most one auth call is in flight, the other callers wait for it."""
        token = self._token
        if token is not None:
            return token
        if self._lock is None:
            self._lock = asyncio.Lock()
        failures = self._failures
        async with self._lock:
            if self._token is not None:
                return self._token
            if self._failures != failures and self._failed is not None:
                raise self._failed  # the auth call this caller waited for failed
            self._fetches += 1
            try:
                self._token = await self._fetch()
            except Exception as exc:
                self._failures += 1
                self._failed = exc
                raise
            self._failed = None
            return self._token

    def discard(self, refused: Token) -> None:
        """Forget ``refused`` (the service said it expired); a token fetched since then is kept."""
        if self._token is refused:
            self._token = None
