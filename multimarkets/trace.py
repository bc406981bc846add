"""Trace ids: one per request attempt, shaped like the service's own (``t-<base36 groups>-<unix seconds>``)."""

from __future__ import annotations

import secrets
import time

__all__ = ["MAX_TRACE_LENGTH", "new_trace"]

MAX_TRACE_LENGTH = 64
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_GROUPS = 4
_GROUP_LENGTH = 6


def _base36(number: int, length: int) -> str:
    digits = []
    for _ in range(length):
        number, digit = divmod(number, 36)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def new_trace() -> str:
    """Return a fresh, unique trace id of at most 64 characters (about 124 random bits)."""
    # One call to the OS random source per trace: 16 bytes cover the 24 base36 digits.
    digits = _base36(int.from_bytes(secrets.token_bytes(16), "big"), _GROUPS * _GROUP_LENGTH)
    groups = (digits[i : i + _GROUP_LENGTH] for i in range(0, len(digits), _GROUP_LENGTH))
    return f"t-{'-'.join(groups)}-{int(time.time())}"
