"""Trace ids: one per request attempt, shaped like the service's own (``t-<base36 groups>-<unix seconds>``)."""

from __future__ import annotations

import os
import time

__all__ = ["MAX_TRACE_LENGTH", "new_trace"]

MAX_TRACE_LENGTH = 64
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Each random byte names a base36 digit (byte mod 36: 4 of the 36 digits come a little more often, which keeps
# 5.1686 of the 5.1699 bits a digit can hold), so that one translate makes the digits of many traces at once.
_DIGIT_OF_BYTE = bytes(ord(_ALPHABET[byte % len(_ALPHABET)]) for byte in range(256))
_HEAD = "t-xxxxxx-xxxxxx-xxxxxx-xxxxxx-"
"""The shape of a trace before its seconds: 24 random digits in four groups."""
_BATCH = 256

# The heads of the next traces, made from the OS's randomness a batch at a time: one system call (getrandom) per
# request was about 1 us of every call. A list, as pop() and extend() are atomic: two threads never take the same
# head, and two that find it empty each add a batch.
_heads: list[str] = []
# A forked child must not make its parent's next traces.
os.register_at_fork(after_in_child=_heads.clear)


def _batch() -> list[str]:
    size = len(_HEAD)
    text = bytearray(os.urandom(size * _BATCH).translate(_DIGIT_OF_BYTE))
    for position, char in enumerate(_HEAD.encode("ascii")):
        if char != ord("x"):
            text[position::size] = bytes((char,)) * _BATCH
    heads = text.decode("ascii")
    return [heads[start : start + size] for start in range(0, len(heads), size)]


def new_trace() -> str:
    """Return a fresh, unique trace id of at most 64 characters (about 124 random bits)."""
    while True:
        try:
            head = _heads.pop()
            break
        except IndexError:
            _heads.extend(_batch())
    return f"{head}{int(time.time())}"
