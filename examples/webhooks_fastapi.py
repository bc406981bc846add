"""Receive MultiMarkets trade notifications with FastAPI.

    MULTIMARKETS_PLATFORM_PUBLIC_KEY=... python examples/webhooks_fastapi.py

serves ``POST http://0.0.0.0:8080/notification`` with uvicorn; subscribe that URL with
``client.webhooks.subscribe(url)``. The receiver needs the raw body, so the endpoint reads ``request.body()``
instead of declaring a model.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response

from multimarkets import webhooks


async def on_event(event: webhooks.Event) -> None:
    """Called once per event, however often the service delivers it."""
    print(event)


def make_app(public_key: str, handler: webhooks.EventHandler = on_event) -> FastAPI:
    """The application: one endpoint that verifies, deduplicates and hands events to ``handler``."""
    app = FastAPI()
    receiver = webhooks.WebhookReceiver(handler, verifier=webhooks.RsaSha1Verifier(public_key))

    @app.post("/notification")
    async def notification(request: Request) -> Response:
        status, headers, body = await receiver.handle(await request.body(), request.headers)
        return Response(content=body, status_code=status, headers=dict(headers))

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(make_app(os.environ["MULTIMARKETS_PLATFORM_PUBLIC_KEY"]), host="0.0.0.0", port=8080)
