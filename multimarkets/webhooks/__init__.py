"""Receiving trade notifications: typed events, signature checks, acknowledgements, once-only handling.

Quick start (aiohttp)::

    from multimarkets import webhooks

    async def on_event(event: webhooks.Event) -> None:
        if isinstance(event, webhooks.OrderExecReport):
            ...

    app.router.add_post("/notification", webhooks.aiohttp_handler(on_event, verifier=webhooks.RsaSha1Verifier(key)))

Other frameworks: :class:`WebhookReceiver` ``.handle(body, headers)`` returns ``(status, headers, body)``.
"""

from .aiohttp_support import aiohttp_handler, receiver_handler
from .dedup import Claim, DedupStore, DedupStoreError, MemoryDedupStore
from .dedup_redis import RedisDedupStore
from .dedup_sqlite import SqliteDedupStore
from .events import (
    Event,
    OrderCancelReport,
    OrderEvent,
    OrderExecReport,
    OrderExpiredReport,
    UnknownEvent,
    parse_notification,
)
from .receiver import EventHandler, WebhookReceiver
from .replies import WebhookResponse, acknowledge, refuse
from .verify import DEFAULT_TOLERANCE, REQUIRED_HEADERS, RsaSha1Verifier, Verifier, verify_notification

__all__ = [
    "DEFAULT_TOLERANCE",
    "REQUIRED_HEADERS",
    "Claim",
    "DedupStore",
    "DedupStoreError",
    "Event",
    "EventHandler",
    "MemoryDedupStore",
    "OrderCancelReport",
    "OrderEvent",
    "OrderExecReport",
    "OrderExpiredReport",
    "RedisDedupStore",
    "RsaSha1Verifier",
    "SqliteDedupStore",
    "UnknownEvent",
    "Verifier",
    "WebhookReceiver",
    "WebhookResponse",
    "acknowledge",
    "aiohttp_handler",
    "parse_notification",
    "receiver_handler",
    "refuse",
    "verify_notification",
]
