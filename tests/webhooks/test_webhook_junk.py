"""Hostile deliveries: the receiver answers every kind of junk with 400/401 from ``handle`` and ``handle_sync``
alike, never 500 or an exception; and an event is known by its signed text, not its JSON spelling."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from test_webhook_receiver import serving
from webhook_samples import MakeDelivery, exec_report, wrap

from multimarkets import ConfigurationError
from multimarkets.signing import RsaSha1Verifier, canonical_string
from multimarkets.webhooks import Event, WebhookReceiver, aiohttp_handler

DEPTH = 100_000


def junk(deliver: MakeDelivery) -> dict[str, tuple[bytes, Mapping[str, str]]]:
    _, headers = deliver(wrap(exec_report()))
    nested_object = b'{"msgType":"trade","content":' + b'{"a":' * DEPTH + b"1" + b"}" * DEPTH + b"}"
    nested_text = {"msgType": "trade", "content": "[" * DEPTH + "]" * DEPTH}
    body, _ = deliver(wrap(exec_report()))
    return {
        "deep array": (b"[" * DEPTH + b"]" * DEPTH, headers),
        "deep object": (nested_object, headers),
        "deep content text": deliver(nested_text),
        "huge timestamp": (body, {**headers, "timestamp": "9" * 400}),
        "endless timestamp": (body, {**headers, "timestamp": "9" * 5000}),
        "float timestamp": (body, {**headers, "timestamp": "1e309"}),
        "negative timestamp": (body, {**headers, "timestamp": "-1"}),
        "not utf-8": (b"\xff\xfe\x00{", headers),
        "NaN literal": (b'{"msgType":NaN,"content":Infinity}', headers),
        "oversized body": (b" " * 2000 + body, headers),
        "huge signature": (body, {**headers, "signature": "A" * 100_000}),
        "content of the wrong type": deliver({"msgType": "trade", "content": [1, 2]}),
    }


@pytest.fixture
def receiver_and_calls(verifier: RsaSha1Verifier) -> tuple[WebhookReceiver, list[Event]]:
    calls: list[Event] = []
    return WebhookReceiver(calls.append, verifier=verifier, max_body=1024), calls


@pytest.mark.anyio
async def test_junk_gets_a_4xx_from_handle_and_handle_sync(
    deliver: MakeDelivery, receiver_and_calls: tuple[WebhookReceiver, list[Event]]
) -> None:
    receiver, calls = receiver_and_calls
    for name, (body, headers) in junk(deliver).items():
        answers = [(await receiver.handle(body, headers)).status, receiver.handle_sync(body, headers).status]
        assert answers[0] == answers[1] and answers[0] in (400, 401), name
        assert json.loads(receiver.handle_sync(body, headers).body)["ok"] is False, name
    assert calls == []


@pytest.mark.anyio
async def test_junk_without_a_verifier_still_gets_a_400(deliver: MakeDelivery) -> None:
    calls: list[Event] = []
    receiver = WebhookReceiver(calls.append, verifier=None, max_body=1024)
    for name in ("deep array", "deep object", "deep content text", "not utf-8", "oversized body"):
        body, headers = junk(deliver)[name]
        assert (await receiver.handle(body, headers)).status == 400, name
        assert receiver.handle_sync(body, headers).status == 400, name
    assert calls == []


@pytest.mark.anyio
async def test_an_endless_body_is_refused_without_reading_it_all(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    calls: list[Event] = []
    app = web.Application()
    app.router.add_post("/notification", aiohttp_handler(calls.append, verifier=verifier, max_body=4096))
    _, headers = deliver(wrap(exec_report()))

    async def endless() -> Any:
        for _ in range(10_000):  # 640 MB if it were all read
            yield b" " * 65536

    async with serving(app) as url, aiohttp.ClientSession() as http:
        try:
            async with http.post(url, data=endless(), headers=headers) as response:
                status = response.status
        except aiohttp.ClientError:
            status = None  # the server may answer and close before the client finished sending
        async with http.post(url, data=b" " * 5000, headers=headers) as response:
            assert response.status == 400
    assert status in (400, None) and calls == []


@pytest.mark.anyio
async def test_bodies_with_the_same_signed_text_are_one_event(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    calls: list[Event] = []
    receiver = WebhookReceiver(calls.append, verifier=verifier)
    spellings: list[dict[str, Any]] = [
        {"msgType": "QUOTE_TAG", "content": {"quoteId": "1", "px": "2.5", "note": None}},
        {"content": {"px": 2.5, "quoteId": 1}, "msgType": "QUOTE_TAG"},
    ]
    assert canonical_string(spellings[0], 1) == canonical_string(spellings[1], 1)
    for payload in spellings:
        body, headers = deliver(payload)
        assert (await receiver.handle(body.replace(b",", b", "), headers)).status == 200
    assert len(calls) == 1
    assert (await receiver.handle(*deliver({"msgType": "QUOTE_TAG", "content": {"quoteId": "2"}}))).status == 200
    assert len(calls) == 2


@pytest.mark.anyio
async def test_the_verifier_receives_the_raw_body(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    seen: list[bytes] = []

    class RawChecking:
        def verify(self, body: Mapping[str, Any] | None, timestamp: int, signature: str, *, raw_body: bytes) -> bool:
            seen.append(raw_body)
            return verifier.verify(body, timestamp, signature)

    body, headers = deliver(wrap(exec_report()))
    receiver = WebhookReceiver(lambda event: None, verifier=RawChecking())
    assert (await receiver.handle(body, headers)).status == 200
    assert receiver.handle_sync(body, headers).status == 200
    assert seen == [body, body]

    class ThreeArguments:
        def verify(self, body: Mapping[str, Any] | None, timestamp: int, signature: str) -> bool:
            return True

    with pytest.raises(ConfigurationError, match="raw_body"):
        WebhookReceiver(lambda event: None, verifier=ThreeArguments())  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_signed_number_too_long_to_read_degrades_instead_of_raising(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    calls: list[Event] = []
    receiver = WebhookReceiver(calls.append, verifier=verifier)
    # More digits than int() accepts: the field degrades like any other misfit, the event is still handled.
    body, headers = deliver(wrap(exec_report(symbolId="9" * 5000, executeTime="9" * 5000)))
    assert (await receiver.handle(body, headers)).status == 200
    assert receiver.handle_sync(body, headers).status == 200  # a duplicate by then
    [event] = calls
    assert event.order_id == "O1" and event.symbol_id is None and event.execute_time is None


@pytest.mark.anyio
async def test_raw_header_pairs_and_body_buffers_are_read_and_other_shapes_answered_400(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    """What frameworks hand over besides a dict and bytes (ASGI's raw header pairs, a memoryview) is read; any
    other shape is a malformed delivery, answered 400 by both entry points rather than raised."""
    calls: list[Event] = []
    receiver = WebhookReceiver(calls.append, verifier=verifier)
    shapes: list[Any] = []

    async def raw(request: web.Request) -> web.Response:
        body = memoryview(await request.read())
        as_text = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.raw_headers]
        answers = [
            await receiver.handle(body, request.raw_headers),
            receiver.handle_sync(bytearray(body), as_text),
            receiver.handle_sync(body, None),
            await receiver.handle(None, request.headers),
            await receiver.handle(body, [("timestamp", 1)]),
            receiver.handle_sync(body, "timestamp: 1"),
        ]
        shapes.append([answer.status for answer in answers])
        return web.Response()

    app = web.Application()
    app.router.add_post("/notification", raw)
    body, headers = deliver(wrap(exec_report()))
    async with serving(app) as url, aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as sent:
        assert sent.status == 200
    assert shapes == [[200, 200, 400, 400, 400, 400]]
    assert len(calls) == 1, "the second delivery of the event is a duplicate"
