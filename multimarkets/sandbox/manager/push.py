"""Data Push (reference §6): ``GET /openapi-b/ws``, a WebSocket that streams ``{"data", "eventType"}`` messages.

The handshake carries ``token`` (as for any call) and ``group``. Events are kept per company; each group has
a cursor, so a group that reconnects gets what it missed (the documented replay), and a group seen for the
first time starts "from the new time point". A text ``ping`` is answered with a pong control frame.

Choices where the reference is silent:

- A handshake without a valid token is refused before the upgrade: HTTP 401 with the gateway's envelope
  (``GGATEWAY_CODE_001``, ``005`` or ``017``). A missing ``group`` is the group ``default``.
- A second connection of the same group kicks the first out (close code 4000), as documented.
- Delivery is at least once: the cursor moves when a message is written, and a dropped connection (see
  ``drop_rate`` and :meth:`PushHub.drop`) rewinds it by up to :data:`IN_FLIGHT` messages, which are sent
  again after the reconnect: a consumer must de-duplicate, as the service asks.
- Events are kept in memory only (not in ``db``), at most :data:`RETAINED` per company; ``reset`` forgets them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import aiohttp
import attrs
from aiohttp import web

__all__ = ["IN_FLIGHT", "RETAINED", "PushHub", "encode_push"]

IN_FLIGHT = 3
RETAINED = 100_000
KICKED = 4000
DROPPED = 4001
_NUMBER = "\x00number:"


def encode_push(event_type: str, data: Mapping[str, Any]) -> str:
    """The message text; ``Decimal`` values become JSON numbers with their exact text (``1000000.000000000``)."""
    numbers: list[str] = []

    def default(value: object) -> str:
        if isinstance(value, Decimal):
            numbers.append(str(value))
            return f"{_NUMBER}{len(numbers) - 1}"
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    text = json.dumps({"data": data, "eventType": event_type}, separators=(",", ":"), default=default)
    for index, number in enumerate(numbers):
        text = text.replace(json.dumps(f"{_NUMBER}{index}"), number, 1)
    return text


@attrs.define
class _Group:
    cursor: int
    """Sequence number of the last event written to this group."""
    floor: int
    """Where the group started: a rewind never goes below it."""
    socket: web.WebSocketResponse | None = None
    wake: asyncio.Event = attrs.field(factory=asyncio.Event)


class PushHub:
    """Events per company, groups with their cursors, and the open sockets."""

    def __init__(self, *, drop_rate: float, seed: int | None) -> None:
        self.drop_rate = drop_rate
        self._random = random.Random(seed)
        self._events: dict[int, list[tuple[int, str]]] = {}
        self._next = 1
        self._groups: dict[tuple[int, str], _Group] = {}
        self.pings = 0
        """Text pings received, on every connection so far."""

    @property
    def connections(self) -> int:
        """Push sockets open now."""
        return sum(1 for group in self._groups.values() if group.socket is not None and not group.socket.closed)

    def publish(self, company_id: int, event_type: str, data: Mapping[str, Any]) -> None:
        """Queue an event for every group of ``company_id`` (now and on their next connection)."""
        events = self._events.setdefault(company_id, [])
        events.append((self._next, encode_push(event_type, data)))
        self._next += 1
        del events[:-RETAINED]
        for (company, _), group in self._groups.items():
            if company == company_id:
                group.wake.set()

    def drop(self) -> int:
        """Close every open push socket as a network drop would (the groups then get a replay); how many."""
        dropped = 0
        for group in self._groups.values():
            socket, group.socket = group.socket, None
            if socket is not None and not socket.closed:
                _rewind(group)
                asyncio.get_running_loop().create_task(socket.close(code=DROPPED))
                dropped += 1
        return dropped

    def reset(self) -> None:
        """Forget events and groups (open sockets are closed)."""
        self.drop()
        self._events.clear()
        self._groups.clear()

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every socket when the sandbox stops, so that stopping does not wait for them."""
        for group in self._groups.values():
            socket, group.socket = group.socket, None
            if socket is not None and not socket.closed:
                await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY)

    async def serve(self, request: web.Request, company_id: int) -> web.StreamResponse:
        """Upgrade ``request`` and stream the company's events to its group until either side closes."""
        name = request.headers.get("group") or "default"
        key = (company_id, name)
        group = self._groups.get(key)
        if group is None:
            events = self._events.get(company_id, [])
            start = events[-1][0] if events else 0
            group = self._groups[key] = _Group(cursor=start, floor=start)
        elif group.socket is not None and not group.socket.closed:
            await group.socket.close(code=KICKED, message=b"another connection of this group")
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        group.socket = socket
        sender = asyncio.get_running_loop().create_task(self._send(company_id, group, socket))
        try:
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT and message.data == "ping":
                    self.pings += 1
                    await socket.pong()
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            if group.socket is socket:
                group.socket = None
            await socket.close()
        return socket

    async def _send(self, company_id: int, group: _Group, socket: web.WebSocketResponse) -> None:
        while not socket.closed:
            group.wake.clear()
            for seq, text in list(self._events.get(company_id, [])):
                if seq <= group.cursor:
                    continue
                if socket.closed or group.socket is not socket:
                    return
                try:
                    await socket.send_str(text)
                except ConnectionError:
                    return
                group.cursor = seq
                if self.drop_rate and self._random.random() < self.drop_rate:
                    group.socket = None
                    _rewind(group)
                    await socket.close(code=DROPPED)
                    return
            await group.wake.wait()


def _rewind(group: _Group) -> None:
    group.cursor = max(group.floor, group.cursor - IN_FLIGHT)
