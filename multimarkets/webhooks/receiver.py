"""``WebhookReceiver``: verify, parse, deduplicate and hand each notification to the user's ``on_event`` once.

Framework-neutral: give it the raw body bytes and the request headers, send back the status, headers and body
it returns. The aiohttp integration (:mod:`multimarkets.webhooks.aiohttp_support`) is a thin wrapper over it.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from ..errors import ConfigurationError, WebhookError
from ._headers import header
from .dedup import Claim, DedupStore, MemoryDedupStore
from .events import Event, event_from_payload, load_body
from .replies import WebhookResponse, acknowledge, refuse
from .verify import DEFAULT_TOLERANCE, Verifier, verify_notification

__all__ = ["EventHandler", "WebhookReceiver"]

logger = logging.getLogger("multimarkets.webhooks")

EventHandler = Callable[[Event], Awaitable[None] | None]
"""``on_event(event)``: a plain function or a coroutine function."""

_IN_PROGRESS_CODE = "IN_PROGRESS"
_HANDLER_FAILED_CODE = "G500"


class WebhookReceiver:
    """Turns notification deliveries into calls of ``on_event``, once per event.

    ``verifier`` is required: pass ``RsaSha1Verifier(platform_public_key)`` (or your own :class:`Verifier`), or
    ``None`` to accept unsigned notifications (a warning is logged; only for local experiments).
    ``tolerance`` is how many seconds the ``timestamp`` header may be off. ``api_key`` / ``company_id`` restrict
    deliveries to yours. ``dedup`` remembers handled events (default: the last 10 000, in memory).

    Answers: 200 + acknowledgement when handled or a duplicate; 400 malformed body; 401 bad signature or
    timestamp; 409 the same event is being handled right now; 500 ``on_event`` raised (the service retries).
    """

    def __init__(
        self,
        on_event: EventHandler,
        *,
        verifier: Verifier | None,
        tolerance: float = DEFAULT_TOLERANCE,
        api_key: str | None = None,
        company_id: str | None = None,
        dedup: DedupStore | None = None,
    ) -> None:
        if not callable(on_event):
            raise ConfigurationError("on_event must be callable")
        if verifier is not None and not isinstance(verifier, Verifier):
            raise ConfigurationError("verifier must have a verify(body, timestamp, signature) method, or be None")
        if tolerance <= 0:
            raise ConfigurationError("tolerance must be a positive number of seconds")
        if verifier is None:
            logger.warning("webhook signatures are NOT verified: anyone who can reach this URL can forge events")
        self._on_event = on_event
        self._verifier = verifier
        self._tolerance = tolerance
        self._api_key = api_key
        self._company_id = company_id
        self._dedup: DedupStore = dedup if dedup is not None else MemoryDedupStore()

    def __repr__(self) -> str:
        return f"WebhookReceiver(verifier={self._verifier!r}, tolerance={self._tolerance}, dedup={self._dedup!r})"

    @property
    def dedup(self) -> DedupStore:
        """The store of handled event keys."""
        return self._dedup

    def accept(self, body: bytes, headers: Mapping[str, str]) -> Event:
        """Verify and parse one delivery without handling it; raises a :class:`~multimarkets.WebhookError`."""
        trace = header(headers, "trace")
        payload = load_body(body, trace=trace)
        if self._verifier is not None:
            verify_notification(
                payload,
                headers,
                verifier=self._verifier,
                tolerance=self._tolerance,
                api_key=self._api_key,
                company_id=self._company_id,
            )
        return event_from_payload(payload, trace=trace)

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """Handle one delivery (``on_event`` may be sync or async) and return the answer to send."""
        started = time.monotonic()
        claimed = self._claim(body, headers, started)
        if isinstance(claimed, WebhookResponse):
            return claimed
        event, key, trace = claimed
        try:
            result = self._on_event(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            return self._failed(key, event, trace, started)
        except BaseException:
            self._dedup.release(key)
            raise
        return self._handled(key, trace, started)

    def handle_sync(self, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """Like :meth:`handle`, for synchronous frameworks (Flask, Django); ``on_event`` must be a plain function."""
        started = time.monotonic()
        claimed = self._claim(body, headers, started)
        if isinstance(claimed, WebhookResponse):
            return claimed
        event, key, trace = claimed
        try:
            result = self._on_event(event)
        except Exception:
            return self._failed(key, event, trace, started)
        except BaseException:
            self._dedup.release(key)
            raise
        if inspect.isawaitable(result):
            self._dedup.release(key)
            if inspect.iscoroutine(result):
                result.close()
            raise ConfigurationError("on_event is asynchronous: call `await receiver.handle(...)` instead")
        return self._handled(key, trace, started)

    def _claim(
        self, body: bytes, headers: Mapping[str, str], started: float
    ) -> WebhookResponse | tuple[Event, str, str | None]:
        trace = header(headers, "trace")
        try:
            event = self.accept(body, headers)
        except WebhookError as exc:
            logger.warning("rejected notification (%s): %s", type(exc).__name__, exc)
            return refuse(exc.http_status, exc.code, exc.message, trace, tm=_elapsed_ms(started))
        key = event.identity
        claim = self._dedup.claim(key)
        if claim is Claim.DUPLICATE:
            logger.info("duplicate %s %s acknowledged without handling (trace=%s)", event.msg_type, key, trace)
            return acknowledge(trace, tm=_elapsed_ms(started))
        if claim is Claim.IN_PROGRESS:
            message = "the same event is being handled; retry later"
            return refuse(409, _IN_PROGRESS_CODE, message, trace, tm=_elapsed_ms(started))
        return event, key, trace

    def _handled(self, key: str, trace: str | None, started: float) -> WebhookResponse:
        self._dedup.complete(key)
        return acknowledge(trace, tm=_elapsed_ms(started))

    def _failed(self, key: str, event: Event, trace: str | None, started: float) -> WebhookResponse:
        self._dedup.release(key)
        logger.exception("on_event failed for %s %s (trace=%s)", event.msg_type, key, trace)
        return refuse(
            500, _HANDLER_FAILED_CODE, "the receiver failed to handle the event", trace, tm=_elapsed_ms(started)
        )


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
