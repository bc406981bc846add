"""Trace ids: one per request attempt, shaped like the service's own (``t-<base36 groups>-<unix seconds>``)."""

from __future__ import annotations

import secrets
import time

__all__ = ["MAX_TRACE_LENGTH", "new_trace"]

MAX_TRACE_LENGTH = 64
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Each random byte names a base36 digit (byte mod 36: 4 of the 36 digits come a little more often, which keeps
# 5.1686 of the 5.1699 bits a digit can hold), so that one translate makes all 24 digits: a trace is made for
# every attempt of every call.
_DIGIT_OF_BYTE = bytes(ord(_ALPHABET[byte % len(_ALPHABET)]) for byte in range(256))


def new_trace() -> str:
    """Return a fresh, unique trace id of at most 64 characters (about 124 random bits)."""
    digits = secrets.token_bytes(24).translate(_DIGIT_OF_BYTE).decode("ascii")
    return f"t-{digits[:6]}-{digits[6:12]}-{digits[12:18]}-{digits[18:]}-{int(time.time())}"
