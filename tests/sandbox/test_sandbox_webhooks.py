"""Webhook subscription and delivery to a receiver on loopback, with retries."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from multimarkets.sandbox import ApiKeyConfig, DeliveryPolicy, RequestContext, wrap_event
from multimarkets.signing import RsaSha1Verifier

pytestmark = pytest.mark.anyio

SUBSCRIBE = "admin.admin.CompanyApiKeyDubboService.subscribe"
FAST = DeliveryPolicy(attempts=4, backoff=0.01, timeout=2.0)
FILL = {"exchangeId": "binance", "tradeType": 10, "orderId": "o-1", "executeNum": "0.5", "status": "3"}


class Receiver:
    """A merchant endpoint that answers from a script: "ok", "500", "not-ok" (envelope with ok false)."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.changed = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        self.changed.set()
        action = self.script[len(self.requests) - 1] if len(self.requests) <= len(self.script) else "ok"
        if action == "500":
            return web.Response(status=500, text="down")
        ok = action == "ok"
        reply = {"code": "0" if ok else "US_0000001", "ok": ok, "fail": not ok, "msg": "", "data": ok}
        return web.json_response(reply)

    async def wait_for(self, count: int) -> None:
        while len(self.requests) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 5)


@pytest.fixture
async def receiver() -> AsyncIterator[Any]:
    runners = []

    async def start(script: list[str] | None = None) -> Receiver:
        recv = Receiver(script or [])
        app = web.Application()
        app.router.add_post("/notification", recv.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        recv.url = f"http://127.0.0.1:{runner.addresses[0][1]}/notification"
        return recv

    yield start
    for runner in runners:
        await runner.cleanup()


async def emit_handler(ctx: RequestContext, body: dict[str, Any]) -> bool:
    return ctx.emit(body["type"], body["content"])


async def test_subscribe_returns_the_string_true(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.call(SUBSCRIBE, {"apiKey": raw.credentials.api_key, "webhookUrl": "http://127.0.0.1:9/hook"})
    assert (reply.code, reply.data) == ("0", "true")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"webhookUrl": "http://127.0.0.1:9/hook"}, "GGATEWAY_CODE_015"),
        ({"apiKey": "KEY"}, "GGATEWAY_CODE_015"),
        ({"apiKey": "KEY", "webhookUrl": "ftp://example.com"}, "GGATEWAY_CODE_015"),
        ({"apiKey": "unknown", "webhookUrl": "http://127.0.0.1:9/hook"}, "00012003"),
        ({"apiKey": "OTHER", "webhookUrl": "http://127.0.0.1:9/hook"}, "00012004"),
    ],
)
async def test_subscribe_validation(start_sandbox, body, code):
    raw = await start_sandbox(api_keys=[ApiKeyConfig("1"), ApiKeyConfig("2")])
    keys = {"KEY": raw.credentials.api_key, "OTHER": raw.sandbox.all_credentials[1].api_key}
    body = {k: keys.get(v, v) for k, v in body.items()}
    assert (await raw.call(SUBSCRIBE, body)).code == code


async def test_event_is_delivered_wrapped_and_signed_by_the_platform_key(start_sandbox, receiver):
    recv = await receiver()
    raw = await start_sandbox(handlers={"test.emit": emit_handler}, webhook=FAST)
    api_key = raw.credentials.api_key
    await raw.call(SUBSCRIBE, {"apiKey": api_key, "webhookUrl": recv.url})
    reply = await raw.call("test.emit", {"type": "ORDER_EXEC_REPORT", "content": FILL})
    assert reply.data is True
    await recv.wait_for(1)

    headers, raw_body = recv.requests[0]
    body = json.loads(raw_body)
    assert body == wrap_event("ORDER_EXEC_REPORT", FILL)
    assert body["msgType"] == "trade"
    assert json.loads(body["content"]) == {"msgType": "ORDER_EXEC_REPORT", **FILL}
    assert headers["apiKey"] == api_key and headers["companyId"] == "1" and headers["version"] == "0.0.1"
    assert headers["trace"].startswith("t-")
    verifier = RsaSha1Verifier(raw.sandbox.platform_public_key)
    assert verifier.verify(body, int(headers["timestamp"]), headers["signature"])
    await raw.sandbox.drain_webhooks()
    stats = raw.sandbox.stats()
    assert (stats["webhook_events"], stats["webhook_attempts"], stats["webhook_failures"]) == (1, 1, 0)
    assert raw.sandbox.webhook_deliveries()[0]["delivered"] is True


async def test_failing_receiver_is_retried_with_the_same_trace(start_sandbox, receiver):
    recv = await receiver(["500", "not-ok", "ok"])
    raw = await start_sandbox(webhook=FAST)
    await raw.call(SUBSCRIBE, {"apiKey": raw.credentials.api_key, "webhookUrl": recv.url})
    assert raw.sandbox.emit("ORDER_CANCEL_REPORT", {"orderId": "o-1"}, delay=0.01)
    await recv.wait_for(3)
    await raw.sandbox.drain_webhooks()
    stats = raw.sandbox.stats()
    assert (stats["webhook_attempts"], stats["webhook_failures"], stats["webhook_dropped"]) == (3, 2, 0)
    assert len({headers["trace"] for headers, _ in recv.requests}) == 1
    assert raw.sandbox.webhook_deliveries()[0]["attempts"] == 3


async def test_receiver_that_never_accepts_is_dropped_after_the_attempts(start_sandbox, receiver):
    recv = await receiver(["500"] * 10)
    raw = await start_sandbox(webhook=FAST)
    await raw.call(SUBSCRIBE, {"apiKey": raw.credentials.api_key, "webhookUrl": recv.url})
    raw.sandbox.emit("ORDER_EXPIRED_REPORT", {"orderId": "o-2"})
    await raw.sandbox.drain_webhooks()
    stats = raw.sandbox.stats()
    assert (stats["webhook_attempts"], stats["webhook_failures"], stats["webhook_deliveries"]) == (4, 4, 0)
    assert len(recv.requests) == 4


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_receiver_counts_as_a_failure(start_sandbox, receiver):
    recv = await receiver()
    raw = await start_sandbox(webhook=DeliveryPolicy(attempts=2, backoff=0.01, timeout=1.0))
    unreachable = f"http://127.0.0.1:{closed_port()}/closed"
    await raw.call(SUBSCRIBE, {"apiKey": raw.credentials.api_key, "webhookUrl": unreachable})
    raw.sandbox.emit("ORDER_EXEC_REPORT", FILL)
    await raw.sandbox.drain_webhooks()
    counts = {k: raw.sandbox.stats()[f"webhook_{k}"] for k in ("events", "attempts", "failures", "dropped")}
    assert counts == {"events": 1, "attempts": 2, "failures": 2, "dropped": 1}
    assert raw.sandbox.stats()["webhook_deliveries"] == 0
    (outcome,) = raw.sandbox.webhook_deliveries()
    assert (outcome["url"], outcome["attempts"], outcome["delivered"]) == (unreachable, 2, False)

    # re-subscribing replaces the URL
    await raw.call(SUBSCRIBE, {"apiKey": raw.credentials.api_key, "webhookUrl": recv.url})
    raw.sandbox.emit("ORDER_EXEC_REPORT", FILL)
    await raw.sandbox.drain_webhooks()
    assert len(recv.requests) == 1
    stats = raw.sandbox.stats()
    assert (stats["webhook_deliveries"], stats["webhook_failures"], stats["webhook_dropped"]) == (1, 2, 1)


async def test_no_subscription_no_delivery(start_sandbox):
    raw = await start_sandbox(handlers={"test.emit": emit_handler})
    reply = await raw.call("test.emit", {"type": "ORDER_EXEC_REPORT", "content": FILL})
    assert reply.data is False
    assert raw.sandbox.stats()["webhook_events"] == 0


async def test_events_go_to_the_subscription_of_the_calling_key(start_sandbox, receiver):
    first, second = await receiver(), await receiver()
    raw = await start_sandbox(api_keys=2, handlers={"test.emit": emit_handler}, webhook=FAST)
    other = raw.with_credentials(raw.sandbox.all_credentials[1])
    await raw.call(SUBSCRIBE, {"apiKey": raw.credentials.api_key, "webhookUrl": first.url})
    await raw.call(SUBSCRIBE, {"apiKey": other.credentials.api_key, "webhookUrl": second.url})
    await other.call("test.emit", {"type": "ORDER_CANCEL_REPORT", "content": {"orderId": "o-9"}})
    await second.wait_for(1)
    assert second.requests[0][0]["apiKey"] == other.credentials.api_key
    assert first.requests == []
