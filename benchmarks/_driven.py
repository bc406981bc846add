"""The event loop a benchmark drives by hand (each turn of a variant is one ``run_until_complete``, so async and
sync variants take turns in one thread), with the bare aiohttp session of the floor."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import aiohttp


@contextlib.contextmanager
def driven_loop(client: Any, sync_client: Any) -> Iterator[tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]]:
    """A new loop and a session on it; on exit the SDK's ``client`` (async) and ``sync_client``, the session and
    the loop are closed."""
    loop = asyncio.new_event_loop()
    session = loop.run_until_complete(_session())
    try:
        yield loop, session
    finally:
        sync_client.close()
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(session.close())
        loop.close()


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()
