"""Checking that a notification comes from the platform: headers, timestamp freshness, signature.

ASSUMPTION (reference §7.2): the real service's callback signature scheme is undocumented. The default mirrors
the request scheme: the platform signs ``canonical_string(body, timestamp)`` with SHA1WithRSA, checked with the
platform's public key (:class:`~multimarkets.signing.RsaSha1Verifier`). Plug in any :class:`Verifier` once the
real scheme is known.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ..errors import WebhookSignatureError, WebhookTimestampError
from ..signing import RsaSha1Verifier
from ._headers import header

__all__ = ["DEFAULT_TOLERANCE", "REQUIRED_HEADERS", "RsaSha1Verifier", "Verifier", "verify_notification"]

DEFAULT_TOLERANCE = 300.0
"""Seconds a notification's ``timestamp`` may differ from our clock (either way) before it is rejected."""

_MAX_TIMESTAMP_DIGITS = 16

REQUIRED_HEADERS = ("signature", "timestamp", "apiKey", "companyId")
"""Headers a notification must carry to be verified (``trace`` is optional: it is only echoed)."""


@runtime_checkable
class Verifier(Protocol):
    """Anything that checks a notification's ``signature`` header against its body and timestamp."""

    def verify(self, body: Mapping[str, Any] | None, timestamp: int, signature: str, *, raw_body: bytes) -> bool:
        """True when ``signature`` (the header, as sent) signs the notification sent at ``timestamp`` (epoch
        milliseconds): ``body`` is the decoded JSON, ``raw_body`` the bytes exactly as received."""
        ...


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def verify_notification(
    payload: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    verifier: Verifier,
    tolerance: float = DEFAULT_TOLERANCE,
    api_key: str | None = None,
    company_id: str | None = None,
    now: float | None = None,
    raw_body: bytes = b"",
) -> None:
    """Raise unless the notification is authentic and fresh; return None when it is.

    ``payload`` is the decoded body, ``raw_body`` the bytes as received (both reach the verifier).
    ``api_key`` / ``company_id``, when given, must equal the headers (compared in constant time). ``now`` (UNIX
    seconds) defaults to the current time.
    Raises :class:`~multimarkets.WebhookSignatureError` or :class:`~multimarkets.WebhookTimestampError`.
    """
    trace = header(headers, "trace")
    values = {name: header(headers, name) for name in REQUIRED_HEADERS}
    missing = [name for name, value in values.items() if not value]
    if "timestamp" in missing:
        raise WebhookTimestampError("notification has no timestamp header", trace=trace)
    if missing:
        raise WebhookSignatureError(f"notification lacks header(s): {', '.join(missing)}", trace=trace)
    signature, text_timestamp, given_key, given_company = (str(values[name]) for name in REQUIRED_HEADERS)
    # Epoch milliseconds have 13 digits; a longer number is junk (and would overflow the float arithmetic below).
    if not (text_timestamp.isascii() and text_timestamp.isdigit() and len(text_timestamp) <= _MAX_TIMESTAMP_DIGITS):
        raise WebhookTimestampError("notification timestamp is not an integer of epoch milliseconds", trace=trace)
    timestamp = int(text_timestamp)
    current = time.time() if now is None else now
    skew = abs(current - timestamp / 1000)
    if skew > tolerance:
        raise WebhookTimestampError(
            f"notification timestamp is {skew:.0f} s away from our clock (tolerance {tolerance:.0f} s)", trace=trace
        )
    if api_key is not None and not _same(given_key, api_key):
        raise WebhookSignatureError("notification is addressed to another API key", trace=trace)
    if company_id is not None and not _same(given_company, str(company_id)):
        raise WebhookSignatureError("notification is addressed to another company", trace=trace)
    try:
        valid = verifier.verify(payload, timestamp, signature, raw_body=raw_body)
    except Exception as exc:
        # A user's verifier that raises on garbage (bad base64, wrong length) means "does not verify": a 401,
        # not a 500 that would make the service deliver the forgery again.
        raise WebhookSignatureError(
            f"notification signature does not verify ({type(exc).__name__})", trace=trace
        ) from exc
    if not valid:
        raise WebhookSignatureError("notification signature does not verify", trace=trace)
