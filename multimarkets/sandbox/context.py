"""What a business handler receives (:class:`RequestContext`) and how it reports a business error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs

from . import codes
from .state import Store

__all__ = ["BizError", "EventSink", "Handler", "RequestContext"]


class BizError(Exception):
    """Raised by a handler to answer with an error envelope (HTTP 200, ``code`` != "0")."""

    def __init__(self, code: str, msg: str | None = None, *, params: str | None = None) -> None:
        self.code = code
        self.msg = msg if msg is not None else codes.message_for(code)
        self.params = params
        super().__init__(f"{code}: {self.msg}")


class EventSink(Protocol):
    """Queues webhook events for the URL an API key subscribed (see :mod:`multimarkets.sandbox.delivery`)."""

    def emit(
        self, api_key: str, company_id: str, event_type: str, content: Mapping[str, Any], *, delay: float = 0.0
    ) -> bool: ...


@attrs.frozen
class RequestContext:
    """One authenticated request as a handler sees it."""

    store: Store
    company_id: str
    api_key: str
    biz_type: str
    trace: str
    group: str | None
    lang: str | None
    now_ms: int
    """The server's wall clock (with any admin skew) when the request arrived, in UNIX milliseconds."""
    events: EventSink
    api_keys: Mapping[str, str]
    """Every API key the sandbox knows, with its company id."""

    def emit(self, event_type: str, content: Mapping[str, Any], *, delay: float = 0.0) -> bool:
        """Queue a webhook event (e.g. ``ORDER_EXEC_REPORT``) for the URL this request's API key subscribed.

        Delivery happens in the background, ``delay`` seconds from now, retried on failure. Returns False
        (and sends nothing) when the key has no subscription.
        """
        return self.events.emit(self.api_key, self.company_id, event_type, content, delay=delay)

    def require_group(self, group: str) -> None:
        """Reject the request unless its ``group`` header is ``group`` (trading endpoints need ``tradeApi``)."""
        if not self.group:
            raise BizError(codes.HEADER_MISSING, f"Request header cannot be empty: group ({group})")
        if self.group != group:
            raise BizError(codes.NO_SUCH_INTERFACE)


Handler = Callable[[RequestContext, dict[str, Any]], Awaitable[Any]]
"""``async def handler(ctx, body) -> data``: returns the envelope's ``data`` or raises :class:`BizError`."""
