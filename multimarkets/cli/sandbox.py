"""``multimarkets sandbox``: serve the local sandbox (options and behaviour in :mod:`multimarkets.sandbox.cli`)."""

from __future__ import annotations

from typing import Any

from ..sandbox.cli import add_arguments, run
from . import COMMANDS

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``sandbox`` to the main parser."""
    parser = subparsers.add_parser(
        "sandbox",
        help=COMMANDS["sandbox"],
        description="Serve a local sandbox of the Bridge service. The first line on stdout is a JSON object "
        "with base_url, api_key, secret_key and company_id; logs go to stderr.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
