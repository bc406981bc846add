"""``aiohttp_handler``: a ready aiohttp.web request handler around :class:`WebhookReceiver`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from .dedup import DedupStore
from .receiver import DEFAULT_MAX_BODY, EventHandler, WebhookReceiver
from .verify import DEFAULT_TOLERANCE, Verifier

__all__ = ["aiohttp_handler", "receiver_handler"]


def receiver_handler(receiver: WebhookReceiver) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp.web handler that passes each request to an existing ``receiver``."""

    async def handle_notification(request: web.Request) -> web.Response:
        status, headers, body = await receiver.handle(await _read_capped(request, receiver.max_body), request.headers)
        return web.Response(status=status, headers=dict(headers), body=body)

    return handle_notification


async def _read_capped(request: web.Request, cap: int) -> bytes:
    """The body, or its first ``cap + 1``-odd bytes when it is longer (the receiver refuses it by its size)."""
    if not request.can_read_body:  # read already (e.g. by a middleware): aiohttp keeps it, within client_max_size
        return await request.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            break
    return b"".join(chunks)


def aiohttp_handler(
    on_event: EventHandler,
    *,
    verifier: Verifier | None,
    tolerance: float = DEFAULT_TOLERANCE,
    api_key: str | None = None,
    company_id: str | None = None,
    dedup: DedupStore | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp.web handler calling ``on_event`` once per notification; options as :class:`WebhookReceiver`.

    Mount it with ``app.router.add_post("/notification", aiohttp_handler(on_event, verifier=...))``.
    """
    receiver = WebhookReceiver(
        on_event,
        verifier=verifier,
        tolerance=tolerance,
        api_key=api_key,
        company_id=company_id,
        dedup=dedup,
        max_body=max_body,
    )
    return receiver_handler(receiver)
