"""``multimarkets webhooks listen``: receive trade notifications and print each event as it arrives.

On a terminal the events are shown with rich (when installed); otherwise one JSON object per line on stdout,
rejected deliveries and status messages on stderr. ``--sandbox`` runs the whole loop locally: an embedded
sandbox, a subscription to this listener, and a few orders whose fills and cancellation then arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
from aiohttp import web

from .._convert import to_wire
from ..client import AsyncBridgeClient
from ..errors import ConfigurationError, MultiMarketsError
from ..models.trading import TradingAccount
from ..signing import RsaSha1Verifier
from ..webhooks import DEFAULT_TOLERANCE, Event, OrderEvent, Verifier, WebhookReceiver
from ._args import port, url_path
from ._stop import add_listen_command, add_stop_options, run_listener

if TYPE_CHECKING:
    from ..sandbox import Sandbox

__all__ = ["register"]

PUBLIC_KEY_ENV = "MULTIMARKETS_PLATFORM_PUBLIC_KEY"


def register(subparsers: Any) -> None:
    """Add ``webhooks listen`` to the main parser."""
    summary = "serve a notification endpoint and print each event"
    add = add_listen_command(subparsers, "webhooks", summary, run).add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    add("--port", type=port, default=8080, help="TCP port, 0 for any free one (default 8080)")
    add("--path", type=url_path, default="/notification", help="URL path of the endpoint (default /notification)")
    add(
        "--public-key",
        metavar="KEY|@FILE",
        help=f"platform public key verifying the signatures (base64 or PEM, or @file; default ${PUBLIC_KEY_ENV})",
    )
    add("--insecure", action="store_true", help="accept notifications without checking their signature")
    add("--tolerance", type=float, default=DEFAULT_TOLERANCE, metavar="S", help="allowed timestamp skew (300)")
    add("--sandbox", action="store_true", help="start an embedded sandbox, subscribe, and place a few orders")
    add_stop_options(add)
    add("--json", action="store_true", help="JSON lines even on a terminal")


def run(args: argparse.Namespace) -> int:
    """Run ``webhooks listen``; the exit code (1 when ``--exit-after`` was not reached in ``--duration``)."""
    return run_listener(
        args, lambda: _listen(args, EventPrinter(sys.stdout, pretty=sys.stdout.isatty() and not args.json))
    )


def _public_key(args: argparse.Namespace) -> str | None:
    text = args.public_key or os.environ.get(PUBLIC_KEY_ENV)
    if text and text.startswith("@"):
        return Path(text[1:]).read_text()
    return text or None


class EventPrinter:
    """Writes events: a rich field table on a terminal (when rich is installed), JSON lines otherwise."""

    def __init__(self, stream: IO[str], *, pretty: bool) -> None:
        self._stream = stream
        self._console: Any = None
        if pretty:
            try:
                from rich.console import Console
            except ImportError:  # rich comes with the "cli" extra; plain JSON lines still work without it
                pass
            else:
                self._console = Console(file=stream)

    def event(self, event: Event) -> None:
        """Print one event."""
        msg_type = event.msg_type.value if isinstance(event, OrderEvent) else event.msg_type
        wire = {"msgType": msg_type, **to_wire(event)}
        if self._console is None:
            self._stream.write(json.dumps(wire, ensure_ascii=False) + "\n")
            self._stream.flush()
            return
        from rich.pretty import Pretty
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        table.add_row("[bold]msg_type[/bold]", f"[bold]{msg_type}[/bold]")
        for field in attrs.fields(type(event)):
            value = getattr(event, field.name)
            if field.name not in ("raw", "msg_type") and value is not None:
                table.add_row(f"[dim]{field.name}[/dim]", _shown(value, Pretty))
        self._console.print(table, "")


def _shown(value: Any, pretty: Callable[[Any], Any]) -> Any:
    if isinstance(value, enum.Enum):
        return f"{value.name} ({value.value})"
    if isinstance(value, (Decimal, datetime)):
        return str(value)
    return pretty(value)


def _reporting(receiver: WebhookReceiver) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        status, headers, body = await receiver.handle(await request.read(), request.headers)
        if status >= 400:
            reason = json.loads(body).get("msg", "")
            print(f"rejected a delivery with HTTP {status}: {reason}", file=sys.stderr, flush=True)
        return web.Response(status=status, headers=dict(headers), body=body)

    return handle


async def _listen(args: argparse.Namespace, printer: EventPrinter) -> int:
    done = asyncio.Event()
    seen = 0

    def on_event(event: Event) -> None:
        nonlocal seen
        seen += 1
        printer.event(event)
        if args.exit_after is not None and seen >= args.exit_after:
            done.set()

    async with _maybe_sandbox(args.sandbox) as sandbox:
        verifier = _verifier(args, sandbox)
        receiver = WebhookReceiver(on_event, verifier=verifier, tolerance=args.tolerance)
        app = web.Application()
        app.router.add_post(args.path, _reporting(receiver))
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, args.host, args.port).start()
            port = runner.addresses[0][1]
            host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
            url = f"http://{host}:{port}{args.path}"
            print(f"listening for notifications on {url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
            driver = asyncio.ensure_future(_drive_sandbox(sandbox, url)) if sandbox is not None else None
            try:
                await asyncio.wait_for(done.wait(), args.duration)
            except asyncio.TimeoutError:
                pass
            finally:
                if driver is not None:
                    driver.cancel()
                    await asyncio.gather(driver, return_exceptions=True)
        finally:
            await runner.cleanup()
    return 1 if args.exit_after is not None and seen < args.exit_after else 0


def _verifier(args: argparse.Namespace, sandbox: Sandbox | None) -> Verifier | None:
    key = _public_key(args)
    if key is None and sandbox is not None:
        key = sandbox.platform_public_key
    if key is not None:
        return RsaSha1Verifier(key)
    if args.insecure:
        return None
    raise ConfigurationError(f"give --public-key (or ${PUBLIC_KEY_ENV}), --sandbox, or --insecure")


@contextlib.asynccontextmanager
async def _maybe_sandbox(enabled: bool) -> AsyncIterator[Sandbox | None]:
    if not enabled:
        yield None
        return
    from ..sandbox import Sandbox

    async with Sandbox() as sandbox:
        print(f"sandbox serving on {sandbox.url}", file=sys.stderr, flush=True)
        yield sandbox


DEMO_SYMBOL_ID = 59
"""BTCUSDT in the sandbox's catalogue."""


async def _drive_sandbox(sandbox: Sandbox, url: str) -> None:
    """Subscribe ``url`` on the sandbox and trade a little, so that notifications start to flow."""
    try:
        async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, trust_env=False) as client:
            await _trade_a_little(client, url)
    except MultiMarketsError as exc:
        print(f"sandbox trading failed: {exc}", file=sys.stderr, flush=True)


async def _trade_a_little(client: AsyncBridgeClient, url: str) -> None:
    """A fill (market buy), a cancellation (resting limit buy) and an expiry (IOC sell far above the market)."""
    await client.webhooks.subscribe(url)
    customer_no = await client.customers.register(
        email=f"webhooks-{secrets.token_hex(4)}@example.com",
        password=secrets.token_urlsafe(12),
        country="CN",
        register_source="SYSTEM",
    )
    await client.accounts.add(
        customer_no,
        exchange_code="binance",
        account_type="spot",
        account_name="demo",
        api_key=secrets.token_hex(16),
        secret_key=secrets.token_hex(16),
        is_test=True,
    )
    account = TradingAccount(exchange_id="binance", account_name="demo", customer_no=customer_no)
    symbol = DEMO_SYMBOL_ID
    print(f"sandbox customer {customer_no}: placing orders on symbol {symbol}", file=sys.stderr, flush=True)
    await client.trading.place_order(account, symbol, side="buy", order_type="market", quantity="0.002")
    resting = await client.trading.place_order(
        account, symbol, side="buy", order_type="limit", quantity="0.01", price="1000"
    )
    await client.trading.cancel_order(account, symbol, order_id=resting.order_id)
    await client.trading.place_order(
        account, symbol, side="sell", order_type="limit", quantity="0.001", price="1000000", time_in_force="IOC"
    )
