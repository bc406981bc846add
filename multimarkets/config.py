"""Credentials, service URLs and client-wide settings."""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import ConfigurationError

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_TIMEOUT", "PRODUCTION_URL", "TEST_URL", "Credentials", "RateLimit"]

PRODUCTION_URL = "https://api.multimarkets.org/webhook"
"""Production ("REAL") base URL; calls go to ``{base_url}/global/{bizType}``."""

TEST_URL = "https://pre-api-test.cmfbl.com/webhook"
"""Test ("PRE"/"DEMO") base URL."""

DEFAULT_TIMEOUT = 20.0
"""Seconds to wait for an answer: a little above the service's own 15 s execution limit."""

DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""The largest answer body read (8 MiB). A page of 2,000 customers shaped like the docs' sample is about
1.3 MB (653 bytes a record); no answer we use comes near the cap."""


def masked(credential: str) -> str:
    """How reprs show an API key or app id: its last four characters (as Stripe shows ``sk_...1234``), enough to
    tell keys apart and never enough to use one; nothing at all of a key shorter than 12 characters."""
    return f"...{credential[-4:]}" if len(credential) >= 12 else "..."


def header_value_problem(value: object) -> str | None:
    """Why ``value`` cannot be sent as an HTTP header value (None: it can). Never quotes the value: it may be a
    secret. A control character (a CR/LF pasted from a Windows file) would make aiohttp refuse the request with a
    bare ValueError at send time; spaces at the ends would be dropped on the way and never match."""
    if not isinstance(value, str):
        return "is not a string"
    if not value:
        return "is empty"
    if value != value.strip():
        return "has whitespace at the start or end"
    if any(unicodedata.category(char) == "Cc" for char in value):
        return "contains a control character (CR, LF, tab, ...)"
    return None


def _int_as_text(value: Any) -> Any:
    """An ``int`` company id as its text; anything else as given, for the check to refuse (``str`` would turn
    None into ``"None"``)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def check_header_fields(owner: object, names: tuple[str, ...]) -> None:
    """Raise :class:`ConfigurationError` naming the first of ``owner``'s ``names`` that cannot be sent as a header
    value (its value is never shown: it may be a secret)."""
    for name in names:
        problem = header_value_problem(getattr(owner, name))
        if problem is not None:
            raise ConfigurationError(f"{type(owner).__name__}.{name} {problem}")


def check_secret_field(owner: object, name: str) -> None:
    """Raise :class:`ConfigurationError` when ``owner``'s secret ``name`` is not text or is blank (never shown)."""
    value = getattr(owner, name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{type(owner).__name__}.{name} is empty")


@attrs.frozen
class Credentials:
    """What the service issues to a merchant: API key, RSA secret key (base64 PKCS#8 or PEM), company id.

    The API key and company id travel as HTTP headers: each must be non-empty, without control characters and
    without whitespace at either end (:class:`ConfigurationError` otherwise, naming the field, never its value)."""

    api_key: str
    secret_key: str = attrs.field(repr=False)
    company_id: str = attrs.field(converter=_int_as_text)

    def __attrs_post_init__(self) -> None:
        check_header_fields(self, ("api_key", "company_id"))
        check_secret_field(self, "secret_key")

    def __repr__(self) -> str:
        return f"Credentials(api_key={masked(self.api_key)}, secret_key=<hidden>, company_id={self.company_id!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read ``MULTIMARKETS_API_KEY``, ``MULTIMARKETS_SECRET_KEY`` and ``MULTIMARKETS_COMPANY_ID``."""
        env = os.environ if environ is None else environ
        names = ("MULTIMARKETS_API_KEY", "MULTIMARKETS_SECRET_KEY", "MULTIMARKETS_COMPANY_ID")
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
        return cls(env[names[0]], env[names[1]], env[names[2]])


@attrs.frozen
class RateLimit:
    """At most ``requests`` per sliding ``window`` seconds for one API key (the service allows 100 per 60 s)."""

    requests: int = 100
    window: float = 60.0

    def __attrs_post_init__(self) -> None:
        # bool is an int, and a float count (1.5) or a NaN/infinite window would pass the comparisons and break
        # the sliding window's arithmetic later, at a call.
        requests, window = self.requests, self.window
        if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
            raise ConfigurationError(f"RateLimit.requests must be a whole number, 1 or more, got {requests!r}")
        if isinstance(window, bool) or not isinstance(window, int | float) or not 0 < window < math.inf:
            raise ConfigurationError(f"RateLimit.window must be a finite number of seconds above 0, got {window!r}")

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse ``"100/60s"``, ``"50/1s"``, ``"100/1m"``, ``"3/0.5s"`` or ``"100/500ms"`` (a bare window is in
        seconds), with a window from 1 ms to a day."""
        # ASCII digits and a plain decimal only: int() and float() also take other scripts' digits, "1_000", "+5"
        # and exponents ("1e-300s", a window that rounds to nothing); 18 digits keep int() within its limit.
        parts = _RATE_LIMIT.fullmatch(text)
        if parts is None:
            raise ConfigurationError(f"rate limit {text!r} is not of the form N/WINDOW, e.g. 100/60s")
        window = float(parts["window"]) * _UNITS[(parts["unit"] or "s").lower()]
        if not _SHORTEST_WINDOW <= window <= _LONGEST_WINDOW:
            raise ConfigurationError(f"rate limit {text!r}: the window must be from 1ms to 24h")
        return cls(int(parts["count"]), window)


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_RATE_LIMIT = re.compile(
    r"\s*(?P<count>[0-9]{1,18})\s*/\s*(?P<window>[0-9]*\.?[0-9]+)\s*(?P<unit>ms|s|m|h)?\s*", re.IGNORECASE
)
_SHORTEST_WINDOW, _LONGEST_WINDOW = 0.001, 86_400.0


def parse_duration(text: str) -> float:
    """Parse ``"300s"``, ``"5m"``, ``"250ms"`` or a bare number of seconds."""
    text = text.strip().lower()
    for unit in ("ms", "s", "m", "h"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _UNITS[unit]
    return float(text)
