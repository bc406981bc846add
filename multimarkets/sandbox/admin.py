"""Admin endpoints under ``/__sandbox__/`` for tests and demos: neither signed nor rate limited.

- ``GET stats``: counters, ``customers``, per-key ``bans``, the fault spec and the clock skew
- ``GET customers``: every customer as a JSON array of snake_case objects
- ``GET webhooks``: the outcome of recent webhook events
- ``POST reset``: forget state, counters, rate-limit history and pending webhooks
- ``GET|POST faults``: read or replace the fault spec (body: the spec as text, or ``{"spec": "..."}``)
- ``GET|POST clock``: read or set the skew of the server clock (``{"skew_ms": N}``)
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from aiohttp import web

from ..errors import ConfigurationError
from .faults import FaultSpec

__all__ = ["PREFIX", "Controls", "add_routes"]

PREFIX = "/__sandbox__"


class Controls(Protocol):
    """What the admin endpoints need of a sandbox (the :class:`~multimarkets.sandbox.Sandbox` has it all)."""

    @property
    def faults(self) -> FaultSpec: ...

    @property
    def clock_skew_ms(self) -> int: ...

    def stats(self) -> dict[str, Any]: ...

    def customers(self) -> list[dict[str, Any]]: ...

    def webhook_deliveries(self) -> list[dict[str, Any]]: ...

    def reset(self) -> None: ...

    def set_faults(self, spec: FaultSpec | str | None) -> FaultSpec: ...

    def server_time_ms(self) -> int: ...

    def set_clock_skew(self, skew_ms: int) -> None: ...


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def _json_body(request: web.Request) -> Any:
    text = await request.text()
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def add_routes(app: web.Application, sandbox: Controls) -> None:
    """Register the admin endpoints of ``sandbox`` on ``app``."""

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(sandbox.stats())

    async def customers(_: web.Request) -> web.Response:
        return web.json_response(sandbox.customers())

    async def webhooks(_: web.Request) -> web.Response:
        return web.json_response(sandbox.webhook_deliveries())

    async def reset(_: web.Request) -> web.Response:
        sandbox.reset()
        return web.json_response({"ok": True})

    async def get_faults(_: web.Request) -> web.Response:
        return web.json_response({"spec": str(sandbox.faults)})

    async def set_faults(request: web.Request) -> web.Response:
        body = await _json_body(request)
        spec = body.get("spec") if isinstance(body, dict) else body
        if spec is not None and not isinstance(spec, str):
            return _bad_request('expected the spec as text or {"spec": "..."}')
        try:
            parsed = sandbox.set_faults(spec)
        except ConfigurationError as exc:
            return _bad_request(str(exc))
        return web.json_response({"spec": str(parsed)})

    async def get_clock(_: web.Request) -> web.Response:
        return web.json_response(_clock_state(sandbox))

    async def set_clock(request: web.Request) -> web.Response:
        body = await _json_body(request)
        skew = body.get("skew_ms") if isinstance(body, dict) else None
        if isinstance(skew, bool) or not isinstance(skew, int):
            return _bad_request('expected {"skew_ms": <integer milliseconds>}')
        sandbox.set_clock_skew(skew)
        return web.json_response(_clock_state(sandbox))

    app.router.add_get(f"{PREFIX}/stats", stats)
    app.router.add_get(f"{PREFIX}/customers", customers)
    app.router.add_get(f"{PREFIX}/webhooks", webhooks)
    app.router.add_post(f"{PREFIX}/reset", reset)
    app.router.add_get(f"{PREFIX}/faults", get_faults)
    app.router.add_post(f"{PREFIX}/faults", set_faults)
    app.router.add_get(f"{PREFIX}/clock", get_clock)
    app.router.add_post(f"{PREFIX}/clock", set_clock)


def _clock_state(sandbox: Controls) -> dict[str, int]:
    skew = sandbox.clock_skew_ms
    return {"skew_ms": skew, "server_time_ms": sandbox.server_time_ms()}
