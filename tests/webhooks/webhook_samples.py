"""Sample notification contents shared by the webhook tests, and an aiohttp app served on loopback."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

MakeDelivery = Callable[..., tuple[bytes, dict[str, str]]]
"""The ``deliver`` fixture: ``deliver(payload, **forgeries) -> (body, headers)``."""


def exec_report(**overrides: Any) -> dict[str, Any]:
    """An ORDER_EXEC_REPORT content object with every documented field."""
    content: dict[str, Any] = {
        "msgType": "ORDER_EXEC_REPORT",
        "exchangeId": "binance",
        "tradeType": 10,
        "companyId": 220,
        "customerId": 1001,
        "customerNo": "86000001",
        "accountName": "acct-1",
        "tradeId": "T1",
        "orderId": "O1",
        "clientOrderId": "c1",
        "executeNum": "0.00100000",
        "executePrice": "65000.10",
        "executeTime": 1700000000123,
        "symbolId": 7,
        "commission": "-0.00000100",
        "commissionCurrency": "BTC",
        "status": "3",
        "remark": "",
    }
    content.update(overrides)
    return content


def wrap(content: Mapping[str, Any] | str, category: str = "trade") -> dict[str, Any]:
    """The callback body: content as JSON text, as the sandbox sends it."""
    text = content if isinstance(content, str) else json.dumps(content, separators=(",", ":"))
    return {"msgType": category, "content": text}


@asynccontextmanager
async def serving(app: web.Application, **runner_options: Any) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port; the URL of its ``/notification`` route."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/notification"
    finally:
        await runner.cleanup()


async def post(http: aiohttp.ClientSession, url: str, delivery: tuple[bytes, dict[str, str]]) -> tuple[int, Any, str]:
    """What the service sees: the status, the decoded envelope and the ``trace`` header."""
    body, headers = delivery
    async with http.post(url, data=body, headers=headers) as response:
        return response.status, await response.json(), response.headers["trace"]


@contextmanager
def locked_by_another_writer(path: Path) -> Iterator[None]:
    """The SQLite file ``path`` locked by another process's writer that does not let go until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()
