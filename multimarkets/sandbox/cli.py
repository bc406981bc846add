"""``multimarkets sandbox``: serve the sandbox until SIGINT/SIGTERM.

The first line on stdout is one JSON object with what a client needs (``base_url``, ``api_key``,
``secret_key``, ``company_id``, plus ``keys`` listing every key when there are several, and ``manager``
with the Manager API's ``base_url``, ``app_id``, ``app_secret``, ``company_id`` and ``public_key``); logs
go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import TextIO

from ..cli._args import port, probability
from ..cli._secret import add_secret_key_arguments, secret_key_from
from ..errors import ConfigurationError
from .keys import ApiKeyConfig
from .manager import ManagerConfig
from .server import Sandbox
from .settings import MAX_API_KEYS

__all__ = ["add_arguments", "main", "parse_api_keys", "run", "serve"]


def parse_api_keys(text: str, company_id: str) -> list[ApiKeyConfig]:
    """``"3"``: three keys of ``company_id``; ``"220:2,439"``: two keys of company 220 and one of 439."""
    try:
        counts = _key_counts(text)
    except ValueError as exc:
        raise ConfigurationError(f"--api-keys: {exc}") from None
    return [ApiKeyConfig(company or company_id) for company, count in counts for _ in range(count)]


def _key_counts(text: str) -> list[tuple[str | None, int]]:
    """How many keys of which company ``--api-keys`` asks for (None: ``--company-id``), 1 to
    :data:`~multimarkets.sandbox.settings.MAX_API_KEYS` in all; ValueError saying what is wrong."""
    text = text.strip()
    counts: list[tuple[str | None, int]] = []
    if text.isascii() and text.isdigit():
        counts.append((None, int(text)))
    else:
        for entry in text.split(","):
            company, _, count = entry.strip().partition(":")
            if not company or (count and not (count.isascii() and count.isdigit())):
                raise ValueError(f"entry {entry!r} is not COMPANY[:COUNT]")
            counts.append((company, int(count or 1)))
    total = sum(count for _, count in counts)
    if not 1 <= total <= MAX_API_KEYS:
        # Each key is an RSA key pair made at start, ~10 ms: 100,000,000 of them kept it silent for days.
        raise ValueError(f"{total} keys in all; the sandbox serves 1 to {MAX_API_KEYS}")
    return counts


def _api_keys(text: str) -> str:
    """``--api-keys`` checked when the arguments are parsed: a usage error before any key is made."""
    try:
        _key_counts(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox options to ``parser`` (for a ``sandbox`` subcommand of the main CLI)."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    add("--port", type=port, default=8765, help="TCP port, 0 for any free one (default 8765)")
    add("--rate-limit", default="100/60s", metavar="N/WINDOW", help="per API key (default 100/60s)")
    add("--ban", default="300s", metavar="DURATION", help="first ban; each further ban adds as much (default 300s)")
    add("--recv-window-max", type=int, default=60_000, metavar="MS", help="cap of recvWindow (default 60000)")
    add("--db", metavar="PATH", help="SQLite file that keeps state (and the generated keys) across restarts")
    add("--seed", type=int, help="seed of the fault sequence")
    add("--latency", metavar="RANGE", help="extra latency per request, e.g. 20ms..200ms")
    add("--faults", metavar="SPEC", help="fault spec, e.g. error5xx=0.05,reset_before=0.02 (see docs/sandbox.md)")
    add("--slow-body-seconds", type=float, default=30.0, metavar="S", help="how long slow_body stalls (default 30)")
    add_secret_key_arguments(parser, "RSA secret key (base64 PKCS#8) of the default API key")
    add("--company-id", default="1", help="company of the generated keys (default 1)")
    add(
        "--api-keys",
        type=_api_keys,
        metavar="N|COMPANY[:N],...",
        help=f"several keys, each with its own limit and bans (at most {MAX_API_KEYS})",
    )
    add("--manager-rate-limit", default="300/60s", metavar="N/WINDOW", help="Manager API, per endpoint")
    add("--token-lifetime", default="2h", metavar="DURATION", help="Manager API tokens (default 2h)")
    add("--push-drop-rate", type=probability, default=0.0, metavar="P", help="Data Push: chance of a drop per message")


def _sandbox_from(args: argparse.Namespace) -> Sandbox:
    api_keys = parse_api_keys(args.api_keys, args.company_id) if args.api_keys else None
    return Sandbox(
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        ban=args.ban,
        recv_window_max=args.recv_window_max,
        db=args.db,
        seed=args.seed,
        faults=args.faults,
        latency=args.latency,
        secret_key=secret_key_from(args),
        company_id=args.company_id,
        api_keys=api_keys,
        slow_body_seconds=args.slow_body_seconds,
        manager=ManagerConfig(
            token_lifetime=args.token_lifetime, rate_limit=args.manager_rate_limit, push_drop_rate=args.push_drop_rate
        ),
    )


def _announcement(sandbox: Sandbox) -> str:
    first = sandbox.credentials
    line: dict[str, object] = {
        "base_url": sandbox.base_url,
        "api_key": first.api_key,
        "secret_key": first.secret_key,
        "company_id": first.company_id,
        "url": sandbox.url,
        "platform_public_key": sandbox.platform_public_key,
    }
    manager = sandbox.manager_credentials
    line["manager"] = {
        "base_url": manager.base_url,
        "app_id": manager.app_id,
        "app_secret": manager.app_secret,
        "company_id": manager.company_id,
        "public_key": manager.public_key,
    }
    if len(sandbox.all_credentials) > 1:
        line["keys"] = [
            {"api_key": c.api_key, "secret_key": c.secret_key, "company_id": c.company_id}
            for c in sandbox.all_credentials
        ]
    return json.dumps(line)


async def serve(sandbox: Sandbox, *, out: TextIO | None = None) -> None:
    """Start ``sandbox``, print the JSON line, and serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    async with sandbox:
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Not available on Windows: there Ctrl-C arrives as KeyboardInterrupt instead.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        stream = out or sys.stdout
        stream.write(_announcement(sandbox) + "\n")
        stream.flush()
        print(f"sandbox serving on {sandbox.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)


def run(args: argparse.Namespace) -> int:
    """Serve with options parsed by a parser set up with :func:`add_arguments`; the exit code."""
    try:
        sandbox = _sandbox_from(args)
        asyncio.run(serve(sandbox))
    except ConfigurationError as exc:
        print(f"multimarkets sandbox: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"multimarkets sandbox: cannot serve: {exc}", file=sys.stderr)
        return 1
    print("sandbox stopped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``multimarkets sandbox`` and ``python -m multimarkets.sandbox``."""
    parser = argparse.ArgumentParser(
        prog="multimarkets sandbox", description="Serve a local sandbox of the Bridge and Manager APIs."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
