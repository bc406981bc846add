"""``--exit-after N`` and ``--duration S``: when a command that listens for events stops."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError

__all__ = ["add_stop_options", "check_stop_options"]


def add_stop_options(add: Callable[..., Any]) -> None:
    """Add both options with ``add`` (a parser's ``add_argument``)."""
    add("--exit-after", type=int, metavar="N", help="stop after N events")
    add("--duration", type=float, metavar="S", help="stop after S seconds")


def check_stop_options(args: argparse.Namespace) -> None:
    """Raise :class:`ConfigurationError` for a value that cannot stop anything."""
    if args.exit_after is not None and args.exit_after < 1:
        raise ConfigurationError("--exit-after must be at least 1")
    if args.duration is not None and args.duration <= 0:
        raise ConfigurationError("--duration must be positive")
