"""The Manager API's request signature: uppercase MD5 inside the body (reference manager-api §3.1, §3.3).

The signed text is ``timestamp=<ts>`` followed by ``&key=value`` for every body field, sorted by name (code
point order, as Java's ``TreeMap``), whose value is a non-empty string or a number. Booleans, nulls, empty
strings, lists and objects are not signed: that is the documented rule and what the platform's ``verifySign``
checks. The official demo's client helper signs every non-null value instead; copying it breaks any body with
a boolean or an empty string (reference §3.3, "Conflicts").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._json import decimal_text

__all__ = ["SIGNATURE_FIELD", "TIMESTAMP_FIELD", "sign", "signed_body", "signing_string"]

SIGNATURE_FIELD = "signature"
TIMESTAMP_FIELD = "timestamp"


def _text(value: Any) -> str | None:
    """The text a value is signed as, or None when the rule leaves it out."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        # The body carries it as this exact string (multimarkets._json), and a string is signed as it is.
        return decimal_text(value) if value.is_finite() else None
    if isinstance(value, float):
        # ASSUMPTION (reference §8 item 6): the server signs the parsed number's text; the SDK sends
        # decimals as strings, so a float only arrives through a raw call() body (as json writes it).
        return repr(value)
    return None


def signing_string(body: Mapping[str, Any], timestamp: int) -> str:
    """The exact text whose MD5 is the signature (string C of the docs)."""
    parts = [f"{TIMESTAMP_FIELD}={timestamp}"]
    for key in sorted(body):
        if key == SIGNATURE_FIELD:
            continue
        text = _text(body[key])
        if text is not None:
            parts.append(f"{key}={text}")
    return "&".join(parts)


def sign(body: Mapping[str, Any], timestamp: int) -> str:
    """The uppercase hex MD5 of :func:`signing_string`."""
    digest = hashlib.md5(signing_string(body, timestamp).encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest().upper()


def signed_body(body: Mapping[str, Any], timestamp: int) -> dict[str, Any]:
    """``body`` plus ``timestamp`` (the header's value, which the server reads from the body) and ``signature``."""
    result = {key: value for key, value in body.items() if key != SIGNATURE_FIELD}
    result[TIMESTAMP_FIELD] = timestamp
    result[SIGNATURE_FIELD] = sign(result, timestamp)
    return result
