"""Fixtures for the typed API tests: a sandbox over loopback that records what it received, and a client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import anyio
import attrs
import pytest
from aiohttp import web

from multimarkets import AsyncBridgeClient, RateLimit, TradingAccount
from multimarkets.sandbox import Handler, RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

FAST = RateLimit(1000, 1.0)
SET_PRICE = "sandbox.MarketService.setPrice"
GET_PRICE = "sandbox.MarketService.getPrice"


@attrs.frozen
class Received:
    """One request as the sandbox's handler saw it (after the gateway checked signature and headers)."""

    biz_type: str
    group: str | None
    body: dict[str, Any]


class Recorder:
    """Wraps the sandbox's own handlers (through the documented ``Sandbox(handlers=...)`` option) to keep
    every body they receive, so tests can assert exact field names and JSON types on the wire."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    def wrap(self, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
        def recording(biz_type: str, handler: Handler) -> Handler:
            async def handle(ctx: RequestContext, body: dict[str, Any]) -> Any:
                self.received.append(Received(biz_type, ctx.group, dict(body)))
                return await handler(ctx, body)

            return handle

        return {biz_type: recording(biz_type, handler) for biz_type, handler in handlers.items()}

    def last(self, biz_type: str) -> Received:
        """The most recent request of ``biz_type``."""
        for item in reversed(self.received):
            if item.biz_type == biz_type:
                return item
        raise AssertionError(f"the sandbox received no {biz_type}")

    def count(self, biz_type: str) -> int:
        return sum(1 for item in self.received if item.biz_type == biz_type)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def extra_handlers() -> dict[str, Handler]:
    """Handlers a test module puts in front of the recorded ones (override to inject faults)."""
    return {}


@pytest.fixture
def sandbox_options(recorder: Recorder, extra_handlers: dict[str, Handler]) -> dict[str, Any]:
    """The sandbox records every request its handlers receive."""
    return {"rate_limit": FAST, "handlers": {**recorder.wrap(HANDLERS), **extra_handlers}}


@pytest.fixture
def requests_sent(sandbox: Sandbox) -> Callable[[], int]:
    """How many business requests reached the sandbox so far."""
    return lambda: int(sandbox.stats()["requests"])


@pytest.fixture
def new_customer(client: AsyncBridgeClient) -> Callable[[int], Awaitable[str]]:
    """``await new_customer(n)``: register a customer with the n-th test phone number; its customer number."""

    async def register(n: int) -> str:
        return await client.customers.register(
            phone=f"1320000{n:04d}", password="a123456", country="CN", register_source=1
        )

    return register


@pytest.fixture
async def customer_no(new_customer: Callable[[int], Awaitable[str]]) -> str:
    return await new_customer(1)


@pytest.fixture
async def account(client: AsyncBridgeClient, customer_no: str, binance_spot: dict[str, Any]) -> TradingAccount:
    """A Binance spot account named "main" of the customer, ready to trade."""
    await client.accounts.add(customer_no, **binance_spot)
    return TradingAccount(exchange_id="binance", account_name="main", customer_no=customer_no)


class Market:
    """Drives the sandbox market through its sandbox-only bizTypes (signed calls like any other)."""

    def __init__(self, client: AsyncBridgeClient) -> None:
        self._client = client

    async def set_price(self, symbol_id: int, price: str) -> None:
        """Fix the price of a product; resting orders it crosses fill."""
        await self._client.call(SET_PRICE, {"symbolId": symbol_id, "price": price}, idempotent=True)

    async def price(self, symbol_id: int) -> Decimal:
        data = await self._client.call(GET_PRICE, {"symbolId": symbol_id}, idempotent=True)
        return Decimal(data["price"])


@pytest.fixture
def market(client: AsyncBridgeClient) -> Market:
    return Market(client)


class Inbox:
    """A merchant webhook endpoint on loopback that keeps every notification's content."""

    def __init__(self) -> None:
        self.url = ""
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        async with self._changed:
            self.events.append(json.loads(body["content"]))
            self._changed.notify_all()
        return web.json_response({"code": "0", "msg": "Success", "ok": True, "fail": False, "data": True})

    async def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """Wait (at most 5 s) until ``predicate(events)`` holds; returns the events."""
        with anyio.fail_after(5):
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self.events))
        return list(self.events)


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    inbox = Inbox()
    app = web.Application()
    app.router.add_post("/hook", inbox.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        inbox.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        yield inbox
    finally:
        await runner.cleanup()
