"""Webhook delivery: the platform side of reference §7.2.

A handler calls ``ctx.emit("ORDER_EXEC_REPORT", {...})``; if the request's API key subscribed a URL
(``admin.admin.CompanyApiKeyDubboService.subscribe``), a background task POSTs the event there, signed with
the sandbox's platform key, and retries with exponential backoff while the receiver fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import attrs

from ..signing import RsaSha1Signer
from ..trace import new_trace
from .gateway import API_VERSION
from .state import Store
from .stats import Stats

__all__ = ["DeliveryPolicy", "WebhookDispatcher", "wrap_event"]

logger = logging.getLogger("multimarkets.sandbox")

_RECENT = 1000


def wrap_event(event_type: str, content: Mapping[str, Any]) -> dict[str, str]:
    """The callback body for one event.

    ASSUMPTION (reference §7.1/§7.2): the documented body is ``{"msgType": "trade", "content": "<string>"}``
    and the message type is not said to travel anywhere, so ``content`` is the JSON text of the event's
    fields plus ``"msgType": "<EVENT_TYPE>"``. This function is the one place that decides the wrapping.
    """
    payload = {"msgType": event_type, **content}
    return {"msgType": "trade", "content": json.dumps(payload, separators=(",", ":"), ensure_ascii=False)}


def _accepted(status: int, raw: bytes) -> bool:
    """2xx, and if the reply looks like an envelope, a successful one (reference §7.2: ``code`` "0")."""
    if not 200 <= status < 300:
        return False
    try:
        reply = json.loads(raw) if raw.strip() else None
    except ValueError:
        return True
    if isinstance(reply, dict) and ("code" in reply or "ok" in reply):
        return str(reply.get("code", "0")) == "0" and reply.get("ok", True) is not False
    return True


@attrs.frozen
class DeliveryPolicy:
    """How hard the sandbox tries: ``attempts`` POSTs at most, waiting ``backoff`` * 2**n between them."""

    attempts: int = 5
    backoff: float = 0.2
    timeout: float = 3.0
    """Seconds per attempt (the platform's Webhook API documents 3 s for its own callbacks)."""


@attrs.frozen
class DeliveryRecord:
    """The outcome of one event, kept for ``/__sandbox__/webhooks``."""

    trace: str
    api_key: str
    url: str
    event_type: str
    attempts: int
    delivered: bool


class WebhookDispatcher:
    """Queues, signs, sends and retries webhook events. Lives on the sandbox's event loop."""

    def __init__(
        self,
        store: Store,
        stats: Stats,
        signer: RsaSha1Signer,
        policy: DeliveryPolicy,
        wall_ms: Callable[[], int],
    ) -> None:
        self._store = store
        self._stats = stats
        self._signer = signer
        self._policy = policy
        self._wall_ms = wall_ms
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.recent: deque[DeliveryRecord] = deque(maxlen=_RECENT)

    def emit(
        self, api_key: str, company_id: str, event_type: str, content: Mapping[str, Any], *, delay: float = 0.0
    ) -> bool:
        """Queue ``event_type`` for ``api_key``'s webhook; False when the key has no subscription."""
        subscription = self._store.subscriptions.get(api_key)
        if subscription is None:
            return False
        self._stats.incr("webhook_events")
        body = wrap_event(event_type, content)
        task = asyncio.get_running_loop().create_task(
            self._deliver(subscription.webhook_url, api_key, company_id, event_type, body, delay)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _deliver(
        self, url: str, api_key: str, company_id: str, event_type: str, body: dict[str, str], delay: float
    ) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        # One trace per event, kept across retries, so the receiver can recognise a redelivery.
        trace = new_trace()
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        attempt = 0
        delivered = False
        while attempt < self._policy.attempts and not delivered:
            if attempt:
                await asyncio.sleep(self._policy.backoff * 2 ** (attempt - 1))
            attempt += 1
            self._stats.incr("webhook_attempts")
            timestamp = self._wall_ms()
            headers = {
                "Content-Type": "application/json",
                "companyId": company_id,
                "trace": trace,
                "apiKey": api_key,
                "timestamp": str(timestamp),
                "version": API_VERSION,
                # ASSUMPTION: signed like a request (reference §2.2) with the platform's own key.
                "signature": self._signer.sign(body, timestamp),
            }
            delivered = await self._post(url, raw, headers)
            self._stats.incr("webhook_deliveries" if delivered else "webhook_failures")
        if not delivered:
            self._stats.incr("webhook_dropped")
            logger.info("webhook %s for %s dropped after %d attempts", event_type, url, attempt)
        self.recent.append(DeliveryRecord(trace, api_key, url, event_type, attempt, delivered))

    async def _post(self, url: str, raw: bytes, headers: dict[str, str]) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._policy.timeout))
        try:
            async with self._session.post(url, data=raw, headers=headers) as response:
                return _accepted(response.status, await response.read())
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.debug("webhook POST to %s failed: %r", url, exc)
            return False

    async def drain(self) -> None:
        """Wait until every queued delivery has succeeded or given up (including ones queued meanwhile)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def cancel(self) -> None:
        """Abandon every queued or retrying delivery."""
        for task in self._tasks:
            task.cancel()

    async def aclose(self) -> None:
        """Cancel pending deliveries and close the HTTP session."""
        self.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
