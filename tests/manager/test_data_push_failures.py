"""What a Data Push stream cannot get past surfaces from ``events()`` and ``run()`` at once and typed: the auth call
refused (a 4xx, a wrong secret), a message over the size cap. What passes (the auth endpoint answering 5xx or
429 for a while) is retried until the stream connects. A loopback service of the test's own: the auth endpoint
answers as scripted, the WebSocket pushes the scripted messages on every connection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import pytest
from aiohttp import web
from manager_contract import APP_ID, APP_SECRET, AUTH, start

from multimarkets import (
    APIError,
    AuthenticationError,
    ManagerCredentials,
    ResponseFormatError,
)
from multimarkets.manager import AsyncManagerClient
from multimarkets.manager.push import KycEvent
from multimarkets.sandbox.manager.push import encode_push

pytestmark = pytest.mark.anyio

CAP = 4096
EVENT = encode_push("kyc", {"id": "1", "customerNo": "86000001", "status": 2, "revision": 1})


def envelope(code: str, data: Any = None) -> bytes:
    return json.dumps(
        {"code": code, "msg": "Success" if code == "0" else "no", "ok": code == "0", "data": data}
    ).encode()


@attrs.define
class Service:
    """``auth_answers`` are given in turn (status, body), then a token; each WebSocket gets ``pushed``."""

    auth_answers: list[tuple[int, bytes]] = attrs.field(factory=list)
    pushed: list[str] = attrs.field(factory=list)
    auth_calls: int = 0
    connections: int = 0
    base_url: str = ""

    async def auth(self, request: web.Request) -> web.Response:
        self.auth_calls += 1
        status, body = self.auth_answers.pop(0) if self.auth_answers else (200, envelope("0", {"token": "t", "id": 1}))
        return web.Response(status=status, body=body, content_type="application/json")

    async def push(self, request: web.Request) -> web.WebSocketResponse:
        self.connections += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for text in self.pushed:
            await ws.send_str(text)
        async for _ in ws:  # the client's pings, until it leaves
            pass
        return ws


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    service, app = Service(), web.Application()
    app.router.add_post(f"/openapi-b/auth/{AUTH}", service.auth)
    app.router.add_get("/openapi-b/ws", service.push)
    runner, origin = await start(app)
    service.base_url = f"{origin}/openapi-b"
    yield service
    await runner.cleanup()


def manager(service: Service, strict: bool = True) -> AsyncManagerClient:
    # No client-side limit: a 429 would otherwise hold the next auth call for the limit's window.
    options: dict[str, Any] = {"max_retries": 0, "max_response_bytes": CAP, "rate_limit": None, "strict": strict}
    options["trust_env"] = False
    return AsyncManagerClient(ManagerCredentials(APP_ID, APP_SECRET), service.base_url, **options)


async def first_event(service: Service, strict: bool = True) -> Any:
    async with manager(service, strict) as client:
        with anyio.fail_after(60):  # a stream retrying what it should raise would wait here
            async for event in client.data_push.events("g1", reconnect_delay=0):
                return event


async def handled(service: Service) -> None:
    async with manager(service) as client:
        with anyio.fail_after(60):
            await client.data_push.run(lambda event: None, "g1", reconnect_delay=0)


async def test_an_auth_endpoint_that_is_down_for_a_while_is_waited_for(service: Service) -> None:
    down = b"<html>503 Service Unavailable</html>"
    service.auth_answers = [(503, down), (429, b""), (502, down), (200, envelope("G500"))]
    service.pushed = [EVENT]
    event = await first_event(service)
    assert isinstance(event, KycEvent) and event.customer_no == "86000001"
    assert (service.auth_calls, service.connections) == (5, 1)


@pytest.mark.parametrize(
    ("status", "body", "raised"),
    [
        (200, envelope("00012003"), AuthenticationError),
        (400, b"<html>bad request</html>", ResponseFormatError),
        (401, b"", ResponseFormatError),
        (403, envelope("00012004"), APIError),
        (404, b"not found", ResponseFormatError),
    ],
)
async def test_a_refused_auth_call_surfaces_unretried(
    service: Service, status: int, body: bytes, raised: type[APIError]
) -> None:
    service.auth_answers = [(status, body)] * 3
    with pytest.raises(raised) as caught:
        await first_event(service)
    assert caught.value.http_status == status
    assert (service.auth_calls, service.connections) == (1, 0)


async def every_event(service: Service) -> None:
    async with manager(service) as client:
        with anyio.fail_after(60):
            async for _ in client.data_push.events("g1", reconnect_delay=0):
                pass


@pytest.mark.parametrize("follow", [every_event, handled], ids=["events", "run"])
async def test_a_message_over_the_size_cap_surfaces_as_too_large(service: Service, follow: Any) -> None:
    service.pushed = [EVENT, "x" * (CAP + 1)]
    with pytest.raises(ResponseFormatError) as caught:
        await follow(service)
    assert caught.value.code == "TOO_LARGE" and f"max_response_bytes={CAP}" in str(caught.value)
    assert f"message of {CAP + 1} bytes" in str(caught.value), "how far over the cap it is"
    assert service.connections == 1, "not reconnected"


async def test_a_message_at_the_size_cap_is_read(service: Service) -> None:
    text = EVENT.replace('"revision":1', '"revision":1,"remark":"' + "r" * (CAP - len(EVENT) - 12) + '"')
    assert len(text) == CAP
    service.pushed = [text]
    event = await first_event(service)
    assert isinstance(event, KycEvent) and event.raw["remark"].startswith("rrr")


NON_FINITE = {
    "documented field": EVENT.replace('"revision":1', '"revision":NaN'),
    "undocumented field": EVENT.replace('"revision":1', '"revision":1,"score":-Infinity'),
    "unknown event type": '{"data":{"id":"2","bid":Infinity},"eventType":"quote_tag"}',
}


@pytest.mark.parametrize("text", NON_FINITE.values(), ids=NON_FINITE.keys())
async def test_a_nan_or_infinity_literal_is_bad_json_under_strict(service: Service, text: str) -> None:
    service.pushed = [text]
    with pytest.raises(ResponseFormatError) as caught:
        await first_event(service)
    assert caught.value.code == "BAD_JSON" and "Data Push message is not valid JSON" in str(caught.value)
    assert service.connections == 1, "not reconnected"


async def test_a_nan_or_infinity_literal_reads_as_null_when_tolerant(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    service.pushed = [EVENT.replace('"86000001"', "Infinity").replace('"revision":1', '"revision":NaN')]
    event = await first_event(service, strict=False)
    assert isinstance(event, KycEvent) and event.status is not None
    assert (event.customer_no, event.revision, event.raw["customerNo"], event.raw["revision"]) == (None,) * 4
    assert "Infinity is not JSON; read as null" in caplog.text
