"""Receive MultiMarkets trade notifications in any framework, shown with plain WSGI (standard library only).

    MULTIMARKETS_PLATFORM_PUBLIC_KEY=... python examples/webhooks_wsgi.py

serves ``POST http://0.0.0.0:8080/notification``. The same two lines work in Flask, Django, FastAPI or Starlette:
hand the raw body and the headers to the receiver, send back the status, headers and body it returns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import make_server

from multimarkets import webhooks


def on_event(event: webhooks.Event) -> None:
    """Called once per event, however often the service delivers it."""
    print(event)


def make_wsgi_app(
    public_key: str, handler: webhooks.EventHandler = on_event
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A WSGI application with one endpoint, ``POST /notification``."""
    receiver = webhooks.WebhookReceiver(handler, verifier=webhooks.RsaSha1Verifier(public_key))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/notification":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        # Never read more than the receiver accepts: it refuses a longer body without parsing it.
        length = min(int(environ.get("CONTENT_LENGTH") or 0), receiver.max_body + 1)
        body = environ["wsgi.input"].read(length)
        # WSGI spells headers HTTP_APIKEY, HTTP_TIMESTAMP, ...; the receiver matches names case-insensitively.
        headers = {key[5:]: value for key, value in environ.items() if key.startswith("HTTP_")}
        status, reply_headers, reply = receiver.handle_sync(body, headers)
        start_response(f"{status} {'OK' if status == 200 else 'Error'}", list(reply_headers.items()))
        return [reply]

    return app


if __name__ == "__main__":
    with make_server("0.0.0.0", 8080, make_wsgi_app(os.environ["MULTIMARKETS_PLATFORM_PUBLIC_KEY"])) as server:
        server.serve_forever()
