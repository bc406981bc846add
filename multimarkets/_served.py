"""Which event loop serves which local origin (a sandbox started with ``async with Sandbox()``).

The sync client waits for its answer while blocking the calling thread. Called from the very loop that serves its
target, it blocks the server too, so the answer can only come after the wait has timed out: the sync layer asks
here to refuse such a call at once (:class:`~multimarkets.SyncUsageError`) rather than hang for a minute.
"""

from __future__ import annotations

import asyncio

from yarl import URL

__all__ = ["origin", "serve", "serving_loop", "unserve"]

_SERVED: dict[str, asyncio.AbstractEventLoop] = {}


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the key a server and a client's base URL share."""
    parsed = URL(url)
    return f"{parsed.scheme}://{parsed.host}:{parsed.port}".lower()


def serve(url: str, loop: asyncio.AbstractEventLoop) -> None:
    """Note that ``loop`` serves ``url``'s origin."""
    _SERVED[origin(url)] = loop


def unserve(url: str) -> None:
    """Note that ``url``'s origin is served no more."""
    _SERVED.pop(origin(url), None)


def serving_loop(key: str) -> asyncio.AbstractEventLoop | None:
    """The loop serving the origin ``key`` (see :func:`origin`), None if none here does."""
    return _SERVED.get(key)
