"""``--secret-key`` and ``--secret-key-file`` for every command that takes a secret key.

A key given inline is visible to every user of the machine (``ps``, ``/proc/*/cmdline``) and lands in the shell
history, so it still works but earns a warning; ``--secret-key-file`` or the environment keep it off the command
line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigurationError

__all__ = ["INLINE_KEY_WARNING", "add_secret_key_arguments", "secret_key_from"]

INLINE_KEY_WARNING = (
    "warning: a secret key given with --secret-key is visible to every user of this machine and stays in the "
    "shell history; use --secret-key-file PATH or the environment instead"
)


def add_secret_key_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--secret-key KEY`` and ``--secret-key-file PATH`` (mutually exclusive); ``what`` describes the key."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--secret-key", metavar="KEY", help=f"{what} (prefer --secret-key-file)")
    group.add_argument("--secret-key-file", metavar="PATH", help="read the secret key from this file")


def secret_key_from(args: argparse.Namespace) -> str | None:
    """The secret key from ``--secret-key-file`` or ``--secret-key`` (warning on stderr), None when neither was
    given. Raises :class:`~multimarkets.errors.ConfigurationError` for an unreadable or empty file."""
    if args.secret_key_file is not None:
        try:
            key = Path(args.secret_key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot read --secret-key-file {args.secret_key_file}: {exc}") from None
        if not key:
            raise ConfigurationError(f"--secret-key-file {args.secret_key_file} is empty")
        return key
    if args.secret_key:
        print(INLINE_KEY_WARNING, file=sys.stderr)
        return str(args.secret_key)
    return None
