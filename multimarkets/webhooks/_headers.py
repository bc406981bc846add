"""Header lookup that works with every framework's header mapping (aiohttp, Starlette, Werkzeug, plain dicts),
and the reading of a delivery's body and headers from the shapes frameworks hand them over in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["delivery", "header"]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, matched case-insensitively (frameworks disagree on case); None if absent."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def delivery(body: object, headers: object) -> tuple[bytes, dict[str, str]]:
    """``body`` as bytes and ``headers`` as a plain mapping; ValueError names what is neither.

    A body may be bytes, bytearray, memoryview or text (encoded as UTF-8, as JSON is). Headers may be a mapping
    (anything with ``items()``: aiohttp, Starlette and Werkzeug headers) or an iterable of ``(name, value)``
    pairs, such as an ASGI scope's raw headers; names and values may be text or bytes, bytes read as Latin-1
    as HTTP and ASGI define them. The first of repeated names is the one :func:`header` finds.
    """
    if isinstance(body, bytes):
        raw = body
    elif isinstance(body, (bytearray, memoryview)):
        raw = bytes(body)
    elif isinstance(body, str):
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no byte sequence was ever sent as this text
            raise ValueError("body is text that cannot be encoded as UTF-8") from None
    else:
        raise ValueError(f"body must be bytes, not {type(body).__name__}")
    return raw, _header_map(headers)


def _header_map(headers: object) -> dict[str, str]:
    items: Any = getattr(headers, "items", None)
    if callable(items):
        pairs: Iterable[Any] = items()
    elif isinstance(headers, Iterable) and not isinstance(headers, (str, bytes, bytearray, memoryview)):
        pairs = headers
    else:
        raise ValueError(f"headers must be a mapping or (name, value) pairs, not {type(headers).__name__}")
    found: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError("headers must be a mapping or (name, value) pairs")
        name, value = (_text(part) for part in pair)
        found.setdefault(name, value)
    return found


def _text(part: object) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, (bytes, bytearray, memoryview)):
        return bytes(part).decode("latin-1")
    raise ValueError(f"a header name or value must be text or bytes, not {type(part).__name__}")
