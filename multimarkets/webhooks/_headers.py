"""Header lookup that works with every framework's header mapping (aiohttp, Starlette, Werkzeug, plain dicts)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["header"]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, matched case-insensitively (frameworks disagree on case); None if absent."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)
