"""The connector of a client's session (unless ``connector_factory`` gives one): aiohttp's, made to have closed
every connection it opened by the time it is closed.

aiohttp ends a connection it does not keep for reuse (the server answered ``Connection: close``, a body was cut at
the size cap, a WebSocket closed) and stops tracking it. Over TLS that end is graceful: close_notify is sent and the
socket stays open until the server's arrives. Closing the session then neither aborts nor waits for such a
connection, and an event loop that stops first (the sync client's when it closes, ``asyncio.run``'s) leaves its
socket to the garbage collector ("ResourceWarning: unclosed transport", a file descriptor held until then).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from aiohttp.client_proto import ResponseHandler
    from aiohttp.tracing import Trace

__all__ = ["Connector"]


class Connector(aiohttp.TCPConnector):
    """Remembers each connection it opened until the connection is lost; :meth:`close` aborts those still
    ending (nothing is owed to a server once the client is closed) and waits until they are."""

    def __init__(self) -> None:
        super().__init__()
        self._open: dict[ResponseHandler, asyncio.Transport] = {}

    # Tracked where a connection is made (aiohttp's one hook for a new connection, direct or through a proxy), not
    # in connect(): that runs for every request, a pooled connection's included, and would cost each one a coroutine.
    async def _create_connection(
        self, req: aiohttp.ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> ResponseHandler:
        protocol = await super()._create_connection(req, traces, timeout)
        transport, lost = protocol.transport, protocol.closed
        if transport is not None and lost is not None:
            self._open[protocol] = transport
            lost.add_done_callback(lambda future: self._lost(protocol, future))
        return protocol

    def _lost(self, protocol: ResponseHandler, future: asyncio.Future[None]) -> None:
        del self._open[protocol]
        if not future.cancelled():
            future.exception()  # retrieved: how it ended does not matter here

    async def close(self, *, abort_ssl: bool = False) -> None:
        await super().close(abort_ssl=abort_ssl)
        ending = [lost for protocol in self._open if (lost := protocol.closed) is not None]
        for transport in self._open.values():
            transport.abort()
        if ending:
            await asyncio.wait(ending)
