"""Argument types the commands share: a bad value is a one-line argparse error and exit 2, not a traceback
from deep inside the server that would have used it."""

from __future__ import annotations

import argparse
import math

__all__ = ["concurrency", "port", "probability", "seconds", "url_path"]


def concurrency(text: str) -> int:
    """Rows in flight at once: 1 to :data:`~multimarkets.bulk.MAX_CONCURRENCY`, as ``register_many`` takes."""
    # Imported here: the sandbox's command line shares this module and stays clear of the SDK's bulk package.
    from ..bulk.options import MAX_CONCURRENCY

    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to {MAX_CONCURRENCY}")
    return number


def port(text: str) -> int:
    """A TCP port to listen on: 0 (any free one) to 65535."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port number (0 for any free one, up to 65535)")
    return number


def probability(text: str) -> float:
    """A chance: a number from 0 to 1."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability from 0 to 1")
    return number


def seconds(text: str) -> float:
    """A duration in seconds: a finite number above 0 (what the clients take as a ``timeout``)."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0.0 < number < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return number


def url_path(text: str) -> str:
    """The path of an endpoint: it starts with ``/`` and holds no ``?``, ``#``, ``{`` or ``}``. A request's
    query and fragment are not part of its path, so a route with them is never reached, and the router reads
    ``{name}`` as a placeholder matching any segment."""
    if not text.startswith("/"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL path: it must start with /")
    if any(char in text for char in "?#{}"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL path: it must not hold ?, #, {{ or }}")
    return text
