"""``multimarkets data-push listen``: follow the Manager Data Push and print one JSON line per event.

Credentials come from ``MULTIMARKETS_MANAGER_APP_ID`` / ``MULTIMARKETS_MANAGER_APP_SECRET``, the service from
``--base-url`` or ``MULTIMARKETS_MANAGER_BASE_URL`` (default: production). ``--sandbox`` runs the whole loop
locally: an embedded sandbox, a registration and a balance update whose events then arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator
from typing import IO, TYPE_CHECKING, Any

from .._convert import to_wire
from ..errors import MultiMarketsError
from ..manager.client import AsyncManagerClient
from ..manager.config import MANAGER_PRODUCTION_URL, ManagerCredentials
from ..manager.push import DataPushEvent, PushEvent
from ._stop import add_listen_command, add_stop_options, run_listener

if TYPE_CHECKING:
    from ..sandbox import Sandbox

__all__ = ["register"]

DEFAULT_GROUP = "multimarkets-cli"


def register(subparsers: Any) -> None:
    """Add ``data-push listen`` to the main parser."""
    summary = "follow the Manager Data Push and print each event"
    add = add_listen_command(subparsers, "data-push", summary, run).add_argument
    add("--group", default=DEFAULT_GROUP, help=f"subscription group, unique per consumer (default {DEFAULT_GROUP})")
    add("--base-url", help="Manager API base URL (default $MULTIMARKETS_MANAGER_BASE_URL, else production)")
    add("--sandbox", action="store_true", help="start an embedded sandbox, register a customer, update a balance")
    add_stop_options(add)


def run(args: argparse.Namespace) -> int:
    """Run ``data-push listen``; the exit code (1 when ``--exit-after`` was not reached in ``--duration``)."""
    return run_listener(args, lambda: _listen(args, sys.stdout))


def event_line(event: DataPushEvent) -> str:
    """One event as a JSON line: ``{"eventType": ..., "data": {...}}`` (typed fields for a known type)."""
    data = to_wire(event) if isinstance(event, PushEvent) else event.raw
    return json.dumps({"eventType": event.event_type, "data": data}, ensure_ascii=False, default=str)


async def _listen(args: argparse.Namespace, out: IO[str]) -> int:
    seen = 0
    async with _client(args) as (client, sandbox):
        print(f"following Data Push group {args.group!r} (Ctrl-C to stop)", file=sys.stderr, flush=True)

        async def follow() -> None:
            nonlocal seen
            async with contextlib.aclosing(client.data_push.events(args.group)) as events:
                async for event in events:
                    out.write(event_line(event) + "\n")
                    out.flush()
                    seen += 1
                    if seen == args.exit_after:
                        return

        follower = asyncio.ensure_future(follow())
        driver = asyncio.ensure_future(_drive_sandbox(client, sandbox)) if sandbox is not None else None
        try:
            await asyncio.wait_for(asyncio.shield(follower), args.duration)
        except asyncio.TimeoutError:
            pass
        finally:
            for task in (follower, driver):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
        if follower.done() and not follower.cancelled():
            follower.result()  # the stream's own error (a refused login, say)
    return 1 if args.exit_after is not None and seen < args.exit_after else 0


@contextlib.asynccontextmanager
async def _client(args: argparse.Namespace) -> AsyncIterator[tuple[AsyncManagerClient, Sandbox | None]]:
    if not args.sandbox:
        base_url = args.base_url or os.environ.get("MULTIMARKETS_MANAGER_BASE_URL") or MANAGER_PRODUCTION_URL
        async with AsyncManagerClient(ManagerCredentials.from_env(), base_url) as client:
            yield client, None
        return
    from ..sandbox import Sandbox

    async with Sandbox() as sandbox:
        given = sandbox.manager_credentials
        print(f"sandbox serving on {sandbox.url}", file=sys.stderr, flush=True)
        credentials = ManagerCredentials(given.app_id, given.app_secret)
        async with AsyncManagerClient(credentials, given.base_url, trust_env=False) as client:
            yield client, sandbox


async def _drive_sandbox(client: AsyncManagerClient, sandbox: Sandbox) -> None:
    """Once the stream is connected: a registration (``register``, ``open_account``) and a balance update
    (``account_adjust``) in the sandbox."""
    try:
        while sandbox.stats()["push_connections"] == 0:  # noqa: ASYNC110 - the sandbox signals no event for it
            await asyncio.sleep(0.01)
        customer_no = await client.customers.register(
            email=f"data-push-{secrets.token_hex(4)}@example.com",
            password=secrets.token_urlsafe(12),
            country="CN",
            accounts={1: "USDT"},
        )
        print(f"sandbox customer {customer_no}: registered; updating its balance", file=sys.stderr, flush=True)
        await client.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount="25.5")
    except MultiMarketsError as exc:
        print(f"sandbox actions failed: {exc}", file=sys.stderr, flush=True)
