"""Typed trade notifications (reference §7.1) and the parser that turns a callback body into one.

ASSUMPTION (reference §7.1, §7.2): the callback body is ``{"msgType": "trade", "content": "<JSON text>"}`` and the
message type travels inside the content as ``msgType`` (or ``eventType``). Both spellings are accepted, as is a
``content`` that is already an object, and an outer ``msgType`` that names the message type itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

import attrs

from .._read import read
from ..errors import ResponseFormatError, WebhookFormatError
from ..models.enums import MessageType, OrderStatus
from ..models.trading import OrderRef, _Execution
from ..signing import canonical_body
from ._headers import header

logger = logging.getLogger("multimarkets.webhooks")

__all__ = [
    "Event",
    "OrderCancelReport",
    "OrderEvent",
    "OrderExecReport",
    "OrderExpiredReport",
    "UnknownEvent",
    "event_from_payload",
    "load_body",
    "parse_notification",
]

TRADE_CATEGORY = "trade"
_TYPE_KEYS = ("msgType", "eventType")


@attrs.frozen(kw_only=True)
class OrderEvent(OrderRef):
    """Fields every order notification starts with; base of the typed order events. ``raw`` is the content
    object exactly as received, including fields this SDK does not model."""

    msg_type: ClassVar[MessageType]

    order_id: str
    """The platform's order number."""
    trade_type: int | None = None
    company_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    account_name: str | None = None
    remark: str | None = None

    @property
    def identity(self) -> str:
        """The deduplication key: message type, company and order (see :class:`OrderExecReport` for fills)."""
        return _key(self.msg_type.value, self.company_id, self.order_id)


@attrs.frozen(kw_only=True)
class OrderExecReport(_Execution, OrderEvent):
    """``ORDER_EXEC_REPORT``: a partial or full fill, or the final "fully filled" status change.

    On the final push (``status`` FILLED) the execution fields may be absent (reference §7.1); they are None then.
    """

    msg_type: ClassVar[MessageType] = MessageType.ORDER_EXEC_REPORT

    status: OrderStatus

    @property
    def identity(self) -> str:
        """Message type, company, order, trade id and status: one key per fill and per status change."""
        return _key(self.msg_type.value, self.company_id, self.order_id, self.trade_id, self.status.value)


@attrs.frozen(kw_only=True)
class OrderCancelReport(OrderEvent):
    """``ORDER_CANCEL_REPORT``: the platform accepted the customer's cancellation."""

    msg_type: ClassVar[MessageType] = MessageType.ORDER_CANCEL_REPORT


@attrs.frozen(kw_only=True)
class OrderExpiredReport(OrderEvent):
    """``ORDER_EXPIRED_REPORT``: the platform cancelled the order by its rules (fields beyond the header: ``raw``)."""

    msg_type: ClassVar[MessageType] = MessageType.ORDER_EXPIRED_REPORT


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """A message type this SDK does not model yet (e.g. ``QUOTE_TAG``); nothing is dropped.

    ``content`` is the parsed content object, or its text when the content is not JSON; ``raw`` the whole body.
    """

    msg_type: str
    category: str
    """The body's outer ``msgType`` (``"trade"`` for trade messages)."""
    content: Mapping[str, Any] | str
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def identity(self) -> str:
        """Message type, category and a digest of the content's signed text: contents the signature cannot
        tell apart (``"1"`` and ``1``, key order, spacing) are one event."""
        text = canonical_body(self.content) if isinstance(self.content, Mapping) else self.content.replace('"', "")
        return _key(self.msg_type, self.category, hashlib.sha256(text.encode("utf-8")).hexdigest())


_Typed: TypeAlias = OrderExecReport | OrderCancelReport | OrderExpiredReport
Event: TypeAlias = _Typed | UnknownEvent
"""Anything :func:`parse_notification` returns."""

_EVENT_CLASSES: dict[str, type[_Typed]] = {
    cls.msg_type.value: cls for cls in (OrderExecReport, OrderCancelReport, OrderExpiredReport)
}


def _key(*parts: str | int | None) -> str:
    # A JSON array rather than joined text: ids may contain any separator, and a missing part stays apart from "".
    # Numbers (the company id) as text, so that a key does not depend on how the service spelled them.
    texts = [None if part is None else str(part) for part in parts]
    return json.dumps(texts, separators=(",", ":"), ensure_ascii=False)


def _absent(literal: str) -> None:
    # NaN and Infinity are not JSON (answers refuse them, Data Push reads them as null): the field holding one is
    # absent, as a misfit reads. Decoded as a float, it became "inf" in a text field and NaN in an amount's raw.
    logger.warning("a notification holds %s, which is not JSON; the field is read as absent", literal)


def load_body(body: bytes | str, *, trace: str | None = None) -> dict[str, Any]:
    """The callback body as a JSON object; anything else raises :class:`WebhookFormatError`. A ``NaN`` or
    ``Infinity`` literal reads as null (logged)."""
    try:
        payload = json.loads(body, parse_constant=_absent)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than any notification
        raise WebhookFormatError("notification body is not JSON", trace=trace) from None
    if not isinstance(payload, dict):
        raise WebhookFormatError("notification body is not a JSON object", trace=trace)
    return payload


def _content_of(payload: Mapping[str, Any], category: str, trace: str | None) -> dict[str, Any] | str:
    content = payload.get("content")
    if isinstance(content, dict):
        return content
    if not isinstance(content, str):
        raise WebhookFormatError("notification has no content (string or object)", trace=trace)
    try:
        parsed = json.loads(content, parse_constant=_absent)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    if category == TRADE_CATEGORY or category in _EVENT_CLASSES:
        raise WebhookFormatError("trade notification content is not a JSON object", trace=trace)
    return content


def event_from_payload(payload: Mapping[str, Any], *, trace: str | None = None) -> Event:
    """The typed event of an already decoded callback body (see :func:`parse_notification`)."""
    category = payload.get("msgType")
    category = category if isinstance(category, str) else ""
    content = _content_of(payload, category, trace)
    if isinstance(content, str):
        return UnknownEvent(msg_type=category, category=category, content=content, raw=dict(payload))
    inner = next((content[k] for k in _TYPE_KEYS if isinstance(content.get(k), str) and content[k]), None)
    msg_type = inner if inner is not None else category
    cls = _EVENT_CLASSES.get(msg_type)
    if cls is None:
        return UnknownEvent(msg_type=msg_type, category=category, content=content, raw=dict(payload))
    # "May be empty" (reference §7.1) arrives as "" as often as null: both mean absent.
    present = {k: v for k, v in content.items() if v is not None and v != ""}
    try:
        # Read like an answer (multimarkets._read): a field that does not fit degrades, an unknown code stays.
        event = read(present, cls, strict=False, biz_type=msg_type, trace=trace)
    except ResponseFormatError as exc:
        raise WebhookFormatError(f"malformed {msg_type}: {exc.message}", trace=trace) from None
    return attrs.evolve(event, raw=content)


def parse_notification(body: bytes | str, headers: Mapping[str, str] | None = None) -> Event:
    """Turn a callback body into a typed event; unknown message types become :class:`UnknownEvent`.

    Raises :class:`~multimarkets.WebhookFormatError` for a body that is not a notification. This does *not*
    verify the signature: use :class:`WebhookReceiver` or :func:`verify_notification` for that.
    """
    trace = header(headers, "trace") if headers is not None else None
    return event_from_payload(load_body(body, trace=trace), trace=trace)
