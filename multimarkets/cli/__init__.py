"""The ``multimarkets`` command line. Each subcommand lives in its own module with a ``register`` function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._logs import setup_logging
from .._version import __version__

__all__ = ["main"]

# Modules under multimarkets.cli that add a subcommand: each has register(subparsers) setting `func`.
_COMMAND_MODULES = ("demo", "sandbox", "customers", "webhooks")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    import importlib

    parser = argparse.ArgumentParser(prog="multimarkets", description="MultiMarkets Bridge API tools.")
    parser.add_argument("--version", action="version", version=f"multimarkets {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request attempt")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``multimarkets`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.verbose:
        setup_logging("debug")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
