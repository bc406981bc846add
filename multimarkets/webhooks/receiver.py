"""``WebhookReceiver``: verify, parse, deduplicate and hand each notification to the user's ``on_event`` once.

Framework-neutral: give it the raw body bytes and the request headers, send back the status, headers and body
it returns. The aiohttp integration (:mod:`multimarkets.webhooks.aiohttp_support`) is a thin wrapper over it.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

import anyio
import attrs

from ..errors import ConfigurationError, WebhookError, WebhookFormatError
from ._headers import delivery, header
from ._store_thread import StoreThreads
from .dedup import Claim, DedupStore, DedupStoreError, MemoryDedupStore
from .events import Event, event_from_payload, load_body
from .replies import WebhookResponse, acknowledge, refuse
from .verify import DEFAULT_TOLERANCE, Verifier, verify_notification

__all__ = ["DEFAULT_MAX_BODY", "EventHandler", "WebhookReceiver"]

logger = logging.getLogger("multimarkets.webhooks")

Body = bytes | bytearray | memoryview | str
"""A delivery's body: the bytes as received (text is encoded as UTF-8)."""
Headers = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]
"""A delivery's headers: a mapping (any framework's) or ``(name, value)`` pairs such as ASGI's raw headers."""

EventHandler = Callable[[Event], Awaitable[None] | None]
"""``on_event(event)``: a plain function or a coroutine function."""

DEFAULT_MAX_BODY = 256 * 1024
"""Bytes a notification body may have (one is well under 4 KiB); a longer body is refused before it is parsed."""

_IN_PROGRESS_CODE = "IN_PROGRESS"
_HANDLER_FAILED_CODE = "G500"
_STORE_FAILED_CODE = "GGATEWAY_CODE_012"  # reference §5.2: "Downstream service is unavailable"


class WebhookReceiver:
    """Turns notification deliveries into calls of ``on_event``, once per event.

    ``verifier`` is required: pass ``RsaSha1Verifier(platform_public_key)`` (or your own :class:`Verifier`), or
    ``None`` to accept unsigned notifications (a warning is logged; only for local experiments).
    ``tolerance`` is how many seconds the ``timestamp`` header may be off. ``api_key`` / ``company_id`` restrict
    deliveries to yours. ``dedup`` remembers handled events (default: the last 10 000, in memory; for several
    worker processes a shared :class:`~multimarkets.webhooks.SqliteDedupStore` or ``RedisDedupStore``).
    A body over ``max_body`` bytes is refused before it is parsed.

    ``handle`` / ``handle_sync`` take the body as bytes, bytearray, memoryview or text, and the headers as any
    mapping or as ``(name, value)`` pairs (ASGI's raw headers), text or bytes; any other shape is answered 400.

    Answers: 200 + acknowledgement when handled or a duplicate; 400 malformed, oversized or absurd body; 401 bad
    signature or timestamp; 409 the same event is being handled right now; 500 ``on_event`` raised; 503 the dedup
    store failed (:class:`~multimarkets.webhooks.DedupStoreError`). The service delivers again after 409, 500
    and 503.
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
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        if not callable(on_event):
            raise ConfigurationError("on_event must be callable")
        if verifier is not None and not _takes_raw_body(verifier):
            raise ConfigurationError(
                "verifier must have a verify(body, timestamp, signature, *, raw_body) method, or be None"
            )
        if max_body < 1:
            raise ConfigurationError("max_body must be a positive number of bytes")
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
        self._max_body = max_body
        self._threads = StoreThreads(self._dedup, logger)

    def __repr__(self) -> str:
        return f"WebhookReceiver(verifier={self._verifier!r}, tolerance={self._tolerance}, dedup={self._dedup!r})"

    @property
    def max_body(self) -> int:
        """Bytes a notification body may have."""
        return self._max_body

    @property
    def dedup(self) -> DedupStore:
        """The store of handled event keys."""
        return self._dedup

    def accept(self, body: Body, headers: Headers) -> Event:
        """Verify and parse one delivery without handling it; raises a :class:`~multimarkets.WebhookError`."""
        body, headers = _read(body, headers)
        trace = header(headers, "trace")
        if len(body) > self._max_body:
            raise WebhookFormatError(f"notification body is over {self._max_body} bytes", trace=trace)
        payload = load_body(body, trace=trace)
        if self._verifier is not None:
            verify_notification(
                payload,
                headers,
                verifier=self._verifier,
                tolerance=self._tolerance,
                api_key=self._api_key,
                company_id=self._company_id,
                raw_body=body,
            )
        try:
            return event_from_payload(payload, trace=trace)
        except RecursionError:
            raise WebhookFormatError("notification content is nested too deeply", trace=trace) from None

    async def handle(self, body: Body, headers: Headers) -> WebhookResponse:
        """Handle one delivery (``on_event`` may be sync or async) and return the answer to send.

        ``on_event`` runs on the event loop; checking the delivery and the dedup store's calls run in a worker
        thread (except with the in-memory store, which never waits), so that a store waiting on its backend (a
        Redis that does not answer) holds up this delivery only. At most 8 calls of a receiver are in its store
        at a time, those of :meth:`handle_sync` included, in threads counted apart from anyio's default pool,
        which the application's own threads keep; a delivery that finds 8 in the store and none returning
        within half a second is refused with 503 as when the store fails.
        """
        arrived = time.monotonic()
        try:
            body, headers = _read(body, headers)
        except WebhookFormatError as exc:
            return _refused(exc, None, arrived)
        try:
            claimed = await self._threads.claim(self._claim, body, headers, undo=self._unclaim, key_of=_claimed_key)
        except DedupStoreError as exc:  # no slot came free: the answer's tm counts the wait
            return _store_unavailable(None, header(headers, "trace"), exc, arrived)
        if isinstance(claimed, WebhookResponse):
            return claimed
        try:
            result = self._on_event(claimed.event)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            return await self._threads.run(self._failed, claimed, exc, key=claimed.key)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._threads.run(self._release, claimed, key=claimed.key)
            raise
        return await self._threads.run(self._handled, claimed, key=claimed.key)

    def handle_sync(self, body: Body, headers: Headers) -> WebhookResponse:
        """Like :meth:`handle`, for synchronous frameworks (Flask, Django); ``on_event`` must be a plain function.

        The store is called in the caller's thread; these calls count towards the receiver's 8 in the store at
        a time with those of :meth:`handle`, and a delivery that finds 8 in it and none returning within half a
        second is refused with 503, as :meth:`handle` refuses it.
        """
        if inspect.iscoroutinefunction(self._on_event):
            raise ConfigurationError("on_event is asynchronous: call `await receiver.handle(...)` instead")
        arrived = time.monotonic()
        try:
            body, headers = _read(body, headers)
        except WebhookFormatError as exc:
            return _refused(exc, None, arrived)
        try:
            claimed = self._threads.claim_in_caller(self._claim, body, headers)
        except DedupStoreError as exc:  # no slot came free: the answer's tm counts the wait
            return _store_unavailable(None, header(headers, "trace"), exc, arrived)
        if isinstance(claimed, WebhookResponse):
            return claimed
        try:
            if inspect.isawaitable(result := self._on_event(claimed.event)):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError("on_event returned an awaitable to handle_sync")
        except Exception as exc:
            return self._threads.run_in_caller(self._failed, claimed, exc)
        except BaseException:
            self._threads.run_in_caller(self._release, claimed)
            raise
        return self._threads.run_in_caller(self._handled, claimed)

    def _claim(self, body: bytes, headers: Mapping[str, str]) -> WebhookResponse | _Claimed:
        """The answer when it is known before ``on_event`` (refused, a duplicate), else the claimed event."""
        started = time.monotonic()
        trace = header(headers, "trace")
        try:
            event = self.accept(body, headers)
        except WebhookError as exc:
            return _refused(exc, trace, started)
        key = event.identity
        try:
            claim = self._dedup.claim(key)
        except DedupStoreError as exc:
            return _store_unavailable(f"event {key}", trace, exc, started)
        if claim is Claim.DUPLICATE:
            logger.info("duplicate event %s acknowledged without handling (trace=%s)", key, trace)
            return acknowledge(trace, tm=_elapsed_ms(started))
        if claim is Claim.IN_PROGRESS:
            message = "the same event is being handled; retry later"
            return refuse(409, _IN_PROGRESS_CODE, message, trace, tm=_elapsed_ms(started))
        return _Claimed(event, key, trace, started)

    def _unclaim(self, claimed: WebhookResponse | _Claimed) -> None:
        """The delivery was cancelled (its client went away) while its claim ran: give the event up, so that
        the service's next delivery of it is handled instead of answered 409 until the claim expires."""
        if isinstance(claimed, _Claimed):
            logger.info("event %s given up, its delivery was cancelled (trace=%s)", claimed.key, claimed.trace)
            self._release(claimed)

    def _handled(self, claimed: _Claimed) -> WebhookResponse:
        """``on_event`` returned: record the event as handled, and acknowledge it even if that fails."""
        try:
            self._dedup.complete(claimed.key)
        except DedupStoreError as exc:
            _store_failed(
                claimed, exc, "was handled but not recorded", "a redelivery after its claim expires runs on_event again"
            )
        return acknowledge(claimed.trace, tm=_elapsed_ms(claimed.started))

    def _failed(self, claimed: _Claimed, exc: Exception) -> WebhookResponse:
        """``on_event`` raised ``exc``: give the claim up and refuse, so that the service delivers it again."""
        self._release(claimed)
        logger.error("on_event failed for event %s (trace=%s)", claimed.key, claimed.trace, exc_info=exc)
        message = "the receiver failed to handle the event"
        return refuse(500, _HANDLER_FAILED_CODE, message, claimed.trace, tm=_elapsed_ms(claimed.started))

    def _release(self, claimed: _Claimed) -> None:
        try:
            self._dedup.release(claimed.key)
        except DedupStoreError as exc:
            _store_failed(claimed, exc, "could not be released", "redeliveries answer 409 until its claim expires")


def _read(body: Body, headers: Headers) -> tuple[bytes, Mapping[str, str]]:
    """The delivery as bytes and a header mapping; a shape that is neither is a malformed delivery (400)."""
    try:
        return delivery(body, headers)
    except ValueError as exc:
        raise WebhookFormatError(str(exc)) from None


def _refused(exc: WebhookError, trace: str | None, started: float) -> WebhookResponse:
    """The logged refusal of a delivery (``trace``, when its headers could be read) that ``exc`` rejected."""
    logger.warning("rejected notification (%s): %s", type(exc).__name__, exc)
    return refuse(exc.http_status, exc.code, exc.message, trace, tm=_elapsed_ms(started))


@attrs.frozen
class _Claimed:
    event: Event
    key: str
    trace: str | None
    started: float


def _claimed_key(claimed: WebhookResponse | _Claimed) -> str | None:
    """The key of the event a claim took, None when it took none (the answer was known before)."""
    return claimed.key if isinstance(claimed, _Claimed) else None


def _store_unavailable(what: str | None, trace: str | None, exc: DedupStoreError, started: float) -> WebhookResponse:
    """The 503 for a delivery (``what``, when it was read) whose claim the dedup store could not answer; logged."""
    logger.error("%s refused with 503, the dedup store failed (trace=%s): %s", what or "a delivery", trace, exc)
    message = "the receiver cannot check for duplicates now; retry later"
    return refuse(503, _STORE_FAILED_CODE, message, trace, tm=_elapsed_ms(started))


def _store_failed(claimed: _Claimed, exc: DedupStoreError, what: str, then: str) -> None:
    """One log line: the dedup store failed after ``claimed`` was claimed, ``what`` became of it, ``then``."""
    logger.error("event %s %s, the dedup store failed; %s (trace=%s): %s", claimed.key, what, then, claimed.trace, exc)


def _takes_raw_body(verifier: object) -> bool:
    if not isinstance(verifier, Verifier):
        return False
    try:
        parameters = inspect.signature(verifier.verify).parameters.values()
    except (TypeError, ValueError):
        return True  # a callable whose signature cannot be read: trust it
    return any(p.name == "raw_body" or p.kind is p.VAR_KEYWORD for p in parameters)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
