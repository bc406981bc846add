"""The sandbox delivering notifications over loopback to receivers built from the README examples."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import aiohttp
import anyio
import pytest
from aiohttp import web
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from example_files import load_example
from webhook_samples import exec_report

from multimarkets import AsyncBridgeClient, RateLimit
from multimarkets.models.enums import OrderStatus
from multimarkets.models.trading import TradingAccount
from multimarkets.sandbox import DeliveryPolicy, Sandbox
from multimarkets.signing import RsaSha1Signer
from multimarkets.webhooks import (
    Event,
    OrderCancelReport,
    OrderExecReport,
    OrderExpiredReport,
    UnknownEvent,
)

WAIT = 10.0
"""Seconds any single expected delivery may take before the test fails (they take milliseconds)."""


class Seen:
    """What the receiver saw: handled events and the status of every delivery attempt, as streams to await."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.statuses: list[int] = []
        self.requests: list[tuple[bytes, dict[str, str]]] = []
        self._event_in: MemoryObjectSendStream[Event]
        self._event_out: MemoryObjectReceiveStream[Event]
        self._event_in, self._event_out = anyio.create_memory_object_stream[Event](1000)
        self._status_in: MemoryObjectSendStream[int]
        self._status_out: MemoryObjectReceiveStream[int]
        self._status_in, self._status_out = anyio.create_memory_object_stream[int](1000)

    async def on_event(self, event: Event) -> None:
        self.events.append(event)
        await self._event_in.send(event)

    def on_event_from_thread(self, loop: asyncio.AbstractEventLoop) -> Callable[[Event], None]:
        """``on_event`` for a receiver running in another thread (memory streams belong to the loop)."""

        def on_event(event: Event) -> None:
            loop.call_soon_threadsafe(self._deliver_now, event)

        return on_event

    def _deliver_now(self, event: Event) -> None:
        self.events.append(event)
        self._event_in.send_nowait(event)

    def record(self, body: bytes, headers: dict[str, str], status: int) -> None:
        self.requests.append((body, headers))
        self.statuses.append(status)
        self._status_in.send_nowait(status)

    async def next_event(self) -> Event:
        with anyio.fail_after(WAIT):
            return await self._event_out.receive()

    async def next_status(self) -> int:
        with anyio.fail_after(WAIT):
            return await self._status_out.receive()

    def close(self) -> None:
        for stream in (self._event_in, self._event_out, self._status_in, self._status_out):
            stream.close()


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    return {"rate_limit": RateLimit(1000, 1.0), "webhook": DeliveryPolicy(attempts=4, backoff=0.01, timeout=5.0)}


@pytest.fixture
def seen() -> Iterator[Seen]:
    record = Seen()
    yield record
    record.close()


Middleware = Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable[Any]]


def recorder(seen: Seen, *, lose_first_ack: bool = False) -> Middleware:
    """Record every attempt; with ``lose_first_ack``, answer 503 *after* handling each event's first delivery,
    as if the acknowledgement was lost on the way back, so that the sandbox redelivers it."""
    traces: set[str] = set()

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.read()
        response = await handler(request)
        trace = request.headers.get("trace", "")
        if lose_first_ack and response.status == 200 and trace not in traces:
            traces.add(trace)
            response = web.Response(status=503, text="lost")
        # Connection-level headers stay behind so that the test can replay the delivery with another body.
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "host")}
        seen.record(body, headers, response.status)
        return response

    return middleware


@asynccontextmanager
async def aiohttp_example(sandbox: Sandbox, seen: Seen, *, lose_first_ack: bool = False) -> AsyncIterator[str]:
    app = load_example("webhooks_aiohttp").make_app(sandbox.platform_public_key, seen.on_event)
    app.middlewares.append(recorder(seen, lose_first_ack=lose_first_ack))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/notification"
    finally:
        await runner.cleanup()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def wsgi_example(sandbox: Sandbox, seen: Seen) -> Iterator[str]:
    handler = seen.on_event_from_thread(asyncio.get_running_loop())
    app = load_example("webhooks_wsgi").make_wsgi_app(sandbox.platform_public_key, handler)
    server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/notification"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


BTCUSDT = 59


async def trading_account(client: AsyncBridgeClient, binance_spot: dict[str, Any]) -> TradingAccount:
    customer_no = await client.customers.register(
        email="trader@example.com", password="pw-1234", country="CN", register_source="SYSTEM"
    )
    await client.accounts.add(customer_no, **binance_spot, is_test=True)
    return TradingAccount(exchange_id="binance", account_name="main", customer_no=customer_no)


async def set_price(client: AsyncBridgeClient, price: str) -> None:
    await client.call("sandbox.MarketService.setPrice", {"symbolId": BTCUSDT, "price": price})


@pytest.mark.anyio
async def test_every_fill_cancel_and_expiry_arrives_once_as_a_typed_event(
    sandbox: Sandbox, client: AsyncBridgeClient, seen: Seen, binance_spot: dict[str, Any]
) -> None:
    trade = client.trading
    async with aiohttp_example(sandbox, seen, lose_first_ack=True) as url:
        assert await client.webhooks.subscribe(url) is True
        account = await trading_account(client, binance_spot)
        await set_price(client, "1000")
        market = await trade.place_order(account, BTCUSDT, side="buy", order_type="market", quantity="0.01")
        # 1.2 BTC resting below the market; each crossing fills at most the product's liquidity (0.5 BTC).
        big = await trade.place_order(account, BTCUSDT, side="buy", order_type="limit", quantity="1.2", price="900")
        for _ in range(3):
            await set_price(client, "850")
        resting = await trade.place_order(account, BTCUSDT, side="buy", order_type="limit", quantity="1", price="500")
        await trade.cancel_order(account, BTCUSDT, order_id=resting.order_id)
        ioc = await trade.place_order(
            account, BTCUSDT, side="sell", order_type="limit", quantity="0.01", price="5000", time_in_force="IOC"
        )
        fills = await trade.trades(account, BTCUSDT)
        received = [await seen.next_event() for _ in range(len(fills) + 2)]
        # Every first acknowledgement was "lost": each event is delivered twice, handled once.
        while seen.statuses.count(200) < len(received):
            await seen.next_status()
    assert len(fills) == 4
    assert sorted(seen.statuses) == [200] * 6 + [503] * 6
    assert seen.events == received and len({e.identity for e in received}) == 6

    execs = [e for e in received if isinstance(e, OrderExecReport)]
    assert sorted(e.trade_id or "" for e in execs) == sorted(f.trade_id for f in fills)
    assert {e.order_id for e in execs} == {market.order_id, big.order_id}
    big_fills = sorted((e for e in execs if e.order_id == big.order_id), key=lambda e: e.trade_id or "")
    assert [e.status for e in big_fills] == [OrderStatus.PARTIALLY_FILLED] * 2 + [OrderStatus.FILLED]
    assert [str(e.execute_num) for e in big_fills] == ["0.5", "0.5", "0.2"]
    assert all(e.execute_price == Decimal("900") and e.execute_time is not None for e in big_fills)
    assert all(e.execute_time.tzinfo is not None for e in execs if e.execute_time is not None)
    (cancelled,) = (e for e in received if isinstance(e, OrderCancelReport))
    (expired,) = (e for e in received if isinstance(e, OrderExpiredReport))
    assert cancelled.order_id == resting.order_id and expired.order_id == ioc.order_id
    assert cancelled.customer_no == account.customer_no


@pytest.mark.anyio
async def test_emitted_events_arrive_once_typed_and_redeliveries_are_deduplicated(
    sandbox: Sandbox, client: AsyncBridgeClient, seen: Seen
) -> None:
    async with aiohttp_example(sandbox, seen, lose_first_ack=True) as url:
        assert await client.webhooks.subscribe(url) is True
        fills = [exec_report(tradeId=f"T{i}", status="3") for i in range(3)]
        for content in fills:
            assert sandbox.emit("ORDER_EXEC_REPORT", {k: v for k, v in content.items() if k != "msgType"})
        assert sandbox.emit("QUOTE_TAG", {"quoteId": "q1", "price": "1.25"})
        received = [await seen.next_event() for _ in range(4)]
        # Each event was delivered twice (the first acknowledgement was "lost"); wait for every second answer.
        while seen.statuses.count(200) < 4:
            await seen.next_status()
    assert sorted(seen.statuses) == [200] * 4 + [503] * 4
    assert len(seen.events) == 4
    execs = [e for e in received if isinstance(e, OrderExecReport)]
    assert sorted(e.trade_id or "" for e in execs) == ["T0", "T1", "T2"]
    unknown = [e for e in received if isinstance(e, UnknownEvent)]
    assert len(unknown) == 1 and unknown[0].msg_type == "QUOTE_TAG" and unknown[0].content["quoteId"] == "q1"


@pytest.mark.anyio
async def test_replayed_forged_and_stale_deliveries(
    sandbox: Sandbox, client: AsyncBridgeClient, seen: Seen, other_keys: tuple[str, str]
) -> None:
    async with aiohttp_example(sandbox, seen) as url, aiohttp.ClientSession() as http:
        await client.webhooks.subscribe(url)
        sandbox.emit("ORDER_CANCEL_REPORT", {"orderId": "O7", "companyId": 1, "exchangeId": "binance"})
        event = await seen.next_event()
        assert event.msg_type == "ORDER_CANCEL_REPORT"
        assert await seen.next_status() == 200
        body, headers = seen.requests[0]

        async def post(data: bytes, with_headers: dict[str, str]) -> int:
            async with http.post(url, data=data, headers=with_headers) as response:
                return response.status

        assert await post(body, headers) == 200  # an exact replay: acknowledged, not handled again
        payload = json.loads(body)
        payload["content"] = payload["content"].replace("O7", "O8")
        assert await post(json.dumps(payload).encode(), headers) == 401  # tampered content
        forged = dict(headers, signature=RsaSha1Signer(other_keys[0]).sign(payload, int(headers["timestamp"])))
        assert await post(json.dumps(payload).encode(), forged) == 401  # signed with a key not the platform's
        assert [await seen.next_status() for _ in range(3)] == [200, 401, 401]

        sandbox.set_clock_skew(-10 * 60 * 1000)  # the platform's clock (and its timestamps) 10 minutes behind
        sandbox.emit("ORDER_CANCEL_REPORT", {"orderId": "O9", "companyId": 1})
        stale_attempts = [await seen.next_status() for _ in range(4)]  # DeliveryPolicy(attempts=4)
    assert stale_attempts == [401] * 4
    assert [e.msg_type for e in seen.events] == ["ORDER_CANCEL_REPORT"]


@pytest.mark.anyio
async def test_framework_neutral_example_over_wsgi(sandbox: Sandbox, client: AsyncBridgeClient, seen: Seen) -> None:
    with wsgi_example(sandbox, seen) as url:
        await client.webhooks.subscribe(url)
        sandbox.emit("ORDER_EXPIRED_REPORT", {"orderId": "O5", "companyId": 1, "clientOrderId": "c5"})
        sandbox.emit("ORDER_EXPIRED_REPORT", {"orderId": "O6", "companyId": 1})
        received = {(await seen.next_event()).identity for _ in range(2)}
    assert received == {'["ORDER_EXPIRED_REPORT","1","O5"]', '["ORDER_EXPIRED_REPORT","1","O6"]'}
