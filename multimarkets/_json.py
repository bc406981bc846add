"""Request bodies as JSON text, for both APIs and raw ``call()`` bodies alike.

A ``Decimal`` (the SDK's type for amounts) travels as the converter sends it in typed requests: an exact
decimal string in plain notation. The reference's reason (manager-api §3.3 step 2, §8 item 6): the Manager
service signs a number as the text its JSON parser makes of it, which a string leaves no room to doubt; the
Bridge signature reads strings and numbers alike. What JSON cannot carry (NaN, infinities, other objects)
is refused with a :class:`~multimarkets.ValidationError` naming the key, before anything is sent.
"""

from __future__ import annotations

import json
import json.encoder
import math
from decimal import Decimal
from typing import Any

from .errors import ValidationError

__all__ = ["PLAIN", "SORTED", "decimal_text", "dumps", "encode"]


def decimal_text(value: Decimal) -> str:
    """A finite Decimal as sent: plain notation with every digit (``str()`` gives ``1E-8``, which the exchanges
    behind the service reject)."""
    return format(value, "f")


def _wire(value: Any) -> Any:
    if isinstance(value, Decimal) and value.is_finite():
        return decimal_text(value)
    raise TypeError(type(value).__name__)  # dumps() names the key


_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)


class _Encoder(json.JSONEncoder):
    """``json.JSONEncoder`` whose ``encode`` of a dict calls the C encoder itself: the one, with the arguments, that
    ``JSONEncoder.encode`` makes through ``iterencode`` (about 80 bytecodes of Python per body), made once, without
    the markers of its circular check (it keeps no state then, so threads may share it)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        escape = json.encoder.encode_basestring_ascii if self.ensure_ascii else json.encoder.encode_basestring
        separators = (self.key_separator, self.item_separator)
        arguments = (self.default, escape, None, *separators, self.sort_keys, self.skipkeys, self.allow_nan)
        try:
            self._c_encode = None if _c_make_encoder is None else _c_make_encoder(None, *arguments)
        except TypeError:
            self._c_encode = None  # the C encoder's arguments changed: encode() as json does it

    def encode(self, o: Any) -> str:
        if type(o) is dict and self._c_encode is not None:
            try:
                return "".join(self._c_encode(o, 0))
            except (TypeError, ValueError, RecursionError):
                pass  # encode() says why (a body that contains itself: its circular check)
        return super().encode(o)


# One encoder each, built once: json.dumps would build a new one per call when given an option.
SORTED = _Encoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False, default=_wire)
"""Compact, keys sorted (the Bridge body, whose signed text is derived from the bytes sent)."""
PLAIN = _Encoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_wire)
"""Compact, keys in the body's order (the Manager body)."""


def dumps(body: Any, encoder: json.JSONEncoder = SORTED) -> str:
    """``body`` as JSON text; :class:`ValidationError` naming the first key JSON cannot carry."""
    try:
        return encoder.encode(body)
    except (TypeError, ValueError):
        found = _unsendable(body, "", frozenset())
        field, reason = found or ("body", "cannot be sent as JSON")
        raise ValidationError(field, reason) from None


def encode(body: Any, encoder: json.JSONEncoder = SORTED) -> bytes:
    """``body`` as the UTF-8 bytes sent; :class:`ValidationError` for what JSON or UTF-8 cannot carry."""
    text = dumps(body, encoder)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800", half of a pair cut apart) is a valid str that JSON writes as is
        # (ensure_ascii is off) but UTF-8 cannot carry: caught here, at no cost to a body that encodes.
        raise ValidationError("body", "contains a lone surrogate (half of a UTF-16 pair), not valid text") from None


def _unsendable(value: Any, path: str, seen: frozenset[int]) -> tuple[str, str] | None:
    """``(where, why)`` of the first value under ``value`` that JSON cannot carry, or None."""
    where = path or "body"
    if isinstance(value, (Decimal, float)):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        return None if finite else (where, f"{value} is not a finite number")
    if value is None or isinstance(value, (str, int)):
        return None
    if not isinstance(value, (dict, list, tuple)):
        return where, f"a {type(value).__name__} cannot be sent as JSON"
    if id(value) in seen:
        return where, "contains itself"
    seen |= {id(value)}
    if isinstance(value, dict):
        children = ((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
    else:
        children = ((f"{where}[{index}]", item) for index, item in enumerate(value))
    for child_path, item in children:
        found = _unsendable(item, child_path, seen)
        if found is not None:
            return found
    return None
