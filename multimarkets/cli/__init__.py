"""The ``multimarkets`` command line. Each subcommand lives in its own module with a ``register`` function."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection, Sequence

from .._logs import setup_logging
from .._version import __version__

__all__ = ["COMMANDS", "build_parser", "main"]

# The subcommands, each a module under multimarkets.cli whose register(subparsers) adds its parser (with this
# help line) and sets `func`; only the module of the command being run is imported.
COMMANDS = {
    "demo": "run the bulk registration job on an embedded sandbox",
    "sandbox": "serve a local sandbox of the Bridge and Manager APIs",
    "customers": "manage customers",
    "webhooks": "receive trade notifications",
    "data-push": "follow the Manager API's Data Push events",
}


def build_parser(commands: Collection[str] = COMMANDS.keys()) -> argparse.ArgumentParser:
    """The argument parser; ``commands`` get their full parsers, the others only their line in ``--help``."""
    parser = argparse.ArgumentParser(prog="multimarkets", description="MultiMarkets Bridge API tools.")
    parser.add_argument("--version", action="version", version=f"multimarkets {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request attempt")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        if name in commands:
            importlib.import_module(f"{__name__}.{name.replace('-', '_')}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``multimarkets`` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # The first word that is not an option names the command (the top-level options take no value).
    parser = build_parser([next((word for word in argv if not word.startswith("-")), "")])
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
