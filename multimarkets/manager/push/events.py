"""The Data Push message (reference manager-api §6.2): ``{"data": {...}, "eventType": "..."}``, read into the
event class of its type, and the identity that tells a replayed event from a new one."""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from ..._convert import wire_name
from ..._read import deviation, read
from ...envelope import excerpt
from ...errors import ResponseFormatError

__all__ = ["PushEvent", "UnknownEvent", "event_identity", "parse_push"]

_VERSION_FIELDS = ("revision", "version", "updateTime")


@attrs.frozen(kw_only=True)
class PushEvent:
    """Base of the typed Data Push events. ``raw`` is the message's ``data`` object exactly as received,
    including fields this SDK does not model; amounts the docs send as decimals are :class:`~decimal.Decimal`,
    integer amounts stay integers scaled by their ``digits`` field, as the service sends them."""

    event_type: ClassVar[str]

    id: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    def __init_subclass__(cls, event_type: str = "", **kwargs: Any) -> None:
        # The class keyword names the event type; attrs rebuilds slotted classes without it, keeping the value.
        super().__init_subclass__(**kwargs)
        if event_type:
            cls.event_type = event_type

    @property
    def identity(self) -> str:
        """The de-duplication key (see :func:`event_identity`)."""
        return event_identity(self.event_type, self.raw)


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """An event type this SDK does not model (or a message of another shape); nothing is dropped.
    ``raw`` is the message's ``data`` as received (``None`` when the message had none)."""

    event_type: str
    raw: Any = attrs.field(default=None, repr=False, eq=False)

    @property
    def identity(self) -> str:
        """The de-duplication key (see :func:`event_identity`)."""
        return event_identity(self.event_type, self.raw)


def event_identity(event_type: str, data: Any) -> str:
    """What makes two deliveries one event: the event type, ``data.id`` and the change markers the docs give
    (``revision``, ``version``, ``updateTime``, each when present), so a replay is recognised while a later
    change of the same record (a higher revision, a new update time) is a new event. Data without an ``id``
    is identified by a digest of its content (key order and spacing do not count)."""
    if isinstance(data, Mapping) and data.get("id") not in (None, ""):
        parts = [event_type, data["id"], *(data.get(name) for name in _VERSION_FIELDS)]
    else:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        parts = [event_type, hashlib.sha256(text.encode("utf-8")).hexdigest()]
    # A JSON array: ids may contain any separator, and a missing part stays apart from "".
    return json.dumps([None if part is None else str(part) for part in parts], separators=(",", ":"))


_classes: dict[str, type[PushEvent]] = {}
_decimal_fields: dict[type[PushEvent], frozenset[str]] = {}


def register_types(*classes: type[PushEvent]) -> None:
    """Make ``parse_push`` read ``eventType`` ``cls.event_type`` as ``cls``."""
    for cls in classes:
        _classes[cls.event_type] = cls
        hints = typing.get_type_hints(cls)
        decimals = (wire_name(f) for f in attrs.fields(cls) if Decimal in typing.get_args(hints[f.name]))
        _decimal_fields[cls] = frozenset(decimals)


def parse_push(text: str | bytes, *, strict: bool = False) -> PushEvent | UnknownEvent | None:
    """The event a Data Push message carries. A field that does not fit its documented type degrades (logged
    once per field), a ``NaN`` or ``Infinity`` literal reads as null (logged), and a message that is not JSON is
    skipped (None); with ``strict=True`` each raises :class:`~multimarkets.ResponseFormatError` (the last two:
    ``BAD_JSON``). An unknown ``eventType`` is an :class:`UnknownEvent`."""
    not_finite: list[str] = []
    try:
        # NaN and Infinity are not JSON, as in answers. Tolerantly null, which the field they are in degrades to
        # anyway, so the event is not lost (read as floats, an Infinity where the docs send a string was "inf").
        message = json.loads(text, parse_float=Decimal, parse_constant=not_finite.append)
    except (ValueError, RecursionError) as exc:
        _not_json(str(exc), "a message that is not JSON", text, strict)
        return None
    if not_finite:
        _not_json(f"{not_finite[0]} is not JSON", f"{not_finite[0]} is not JSON; read as null", text, strict)
    if not isinstance(message, dict) or not isinstance(message.get("eventType"), str):
        _odd('a message without a string "eventType"', strict)
        return UnknownEvent(event_type="", raw=message)
    event_type, data = message["eventType"], message.get("data")
    cls = _classes.get(event_type)
    if cls is None:
        return UnknownEvent(event_type=event_type, raw=data)
    if not isinstance(data, dict):
        _odd(f'a {event_type} message whose "data" is not an object', strict)
        return UnknownEvent(event_type=event_type, raw=data)
    exact = _exact_numbers(data, cls)
    event = read(exact, cls, strict=strict, biz_type=f"data push {event_type}")
    return event if exact is data else attrs.evolve(event, raw=data)


def _exact_numbers(data: dict[str, Any], cls: type[PushEvent]) -> dict[str, Any]:
    """``data`` with whole numbers in decimal fields as ``Decimal`` (the docs send those amounts as JSON numbers,
    which the reader takes as they are); ``data`` itself when there are none."""
    wires = _decimal_fields[cls]
    found = {k: Decimal(v) for k, v in data.items() if k in wires and isinstance(v, int) and not isinstance(v, bool)}
    return {**data, **found} if found else data


def _odd(detail: str, strict: bool) -> None:
    deviation(f"data push: {detail}", detail, strict=strict, biz_type="data push", trace=None)


def _not_json(why: str, logged: str, text: str | bytes, strict: bool) -> None:
    if strict:
        raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
        raise ResponseFormatError(
            f"a Data Push message is not valid JSON: {why}",
            code="BAD_JSON",
            biz_type="data push",
            body_excerpt=excerpt(raw),
        )
    _odd(logged, strict)
