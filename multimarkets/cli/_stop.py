"""The ``listen`` subcommands (``webhooks listen``, ``data-push listen``) and their ``--exit-after N`` and
``--duration S``: when a command that listens for events stops."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from ..errors import ConfigurationError, MultiMarketsError
from . import COMMANDS

__all__ = ["add_listen_command", "add_stop_options", "check_stop_options", "run_listener"]


def add_listen_command(subparsers: Any, name: str, summary: str, run: Callable[[argparse.Namespace], int]) -> Any:
    """Add ``NAME listen`` (running ``run``) to the main parser; its parser, for the command's own options."""
    parser = subparsers.add_parser(name, help=COMMANDS[name])
    commands = parser.add_subparsers(dest=f"{name.replace('-', '_')}_command", metavar="COMMAND", required=True)
    listen = commands.add_parser("listen", help=summary)
    listen.set_defaults(func=run)
    return listen


def run_listener(args: argparse.Namespace, listen: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run ``listen()`` after checking the stop options; its exit code, or 2 after printing an error."""
    try:
        check_stop_options(args)
        return asyncio.run(listen())
    except (MultiMarketsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


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
