"""Receive MultiMarkets trade notifications with aiohttp.

    MULTIMARKETS_PLATFORM_PUBLIC_KEY=... python examples/webhooks_aiohttp.py

serves ``POST http://0.0.0.0:8080/notification``; subscribe that URL with ``client.webhooks.subscribe(url)``.
Try it locally without an account: ``multimarkets webhooks listen --sandbox``.
"""

from __future__ import annotations

import os

from aiohttp import web

from multimarkets import webhooks


async def on_event(event: webhooks.Event) -> None:
    """Called once per event, however often the service delivers it."""
    if isinstance(event, webhooks.OrderExecReport):
        print(f"{event.order_id}: {event.status.name} {event.execute_num} @ {event.execute_price}")
    elif isinstance(event, (webhooks.OrderCancelReport, webhooks.OrderExpiredReport)):
        print(f"{event.order_id}: {event.msg_type.value}")
    else:  # webhooks.UnknownEvent: a message type this SDK version does not model yet
        print(f"unmodelled {event.msg_type}: {event.content}")


def make_app(public_key: str, handler: webhooks.EventHandler = on_event) -> web.Application:
    """The web application: one endpoint that verifies, deduplicates and hands events to ``handler``."""
    app = web.Application()
    verifier = webhooks.RsaSha1Verifier(public_key)
    app.router.add_post("/notification", webhooks.aiohttp_handler(handler, verifier=verifier))
    return app


if __name__ == "__main__":
    web.run_app(make_app(os.environ["MULTIMARKETS_PLATFORM_PUBLIC_KEY"]), port=8080)
