"""Admin endpoints of the Manager side, for a sandbox in another process (``multimarkets sandbox``):

- ``POST /__sandbox__/manager/push`` with ``{"eventType": "...", "data": {...}}`` pushes a Data Push event to
  every group of the company (as ``Sandbox.push_event`` does);
- ``POST /__sandbox__/manager/drop`` closes every Data Push socket as a network drop would; answers
  ``{"dropped": n}``.
"""

from __future__ import annotations

from aiohttp import web

from ..admin import PREFIX
from .push import PushHub

__all__ = ["add_routes"]


def add_routes(app: web.Application, push: PushHub, company_id: int) -> None:
    """Register the Manager admin endpoints on ``app``."""

    async def push_event(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("eventType"), str) or "data" not in body:
            return web.json_response({"error": 'expected {"eventType": "...", "data": ...}'}, status=400)
        push.publish(company_id, body["eventType"], body["data"])
        return web.json_response({"pushed": body["eventType"]})

    async def drop(_: web.Request) -> web.Response:
        return web.json_response({"dropped": push.drop()})

    app.router.add_post(f"{PREFIX}/manager/push", push_event)
    app.router.add_post(f"{PREFIX}/manager/drop", drop)
