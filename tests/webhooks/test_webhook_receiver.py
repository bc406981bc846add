"""The framework-neutral receiver and the aiohttp handler: acknowledgement, rejection, once-only handling."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web
from webhook_samples import MakeDelivery, exec_report, serving, wrap

from multimarkets import ConfigurationError
from multimarkets.signing import RsaSha1Verifier
from multimarkets.webhooks import (
    Claim,
    Event,
    MemoryDedupStore,
    OrderExecReport,
    UnknownEvent,
    WebhookReceiver,
    WebhookResponse,
    acknowledge,
    aiohttp_handler,
)

PAYLOAD = wrap(exec_report())


def envelope(response: WebhookResponse) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/json"
    decoded = json.loads(response.body)
    assert isinstance(decoded, dict)
    return decoded


def test_acknowledgement_is_the_documented_envelope() -> None:
    status, headers, body = acknowledge("t-abc", tm=3)
    assert status == 200 and headers["trace"] == "t-abc"
    assert json.loads(body) == {
        "code": "0",
        "msg": "Success",
        "ok": True,
        "fail": False,
        "data": True,
        "trace": "t-abc",
        "bizCode": "",
        "msgParams": None,
        "tm": 3,
    }
    assert json.loads(acknowledge().body)["trace"].startswith("t-")


@pytest.mark.anyio
async def test_event_is_handled_once_and_redeliveries_are_acknowledged(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    received: list[Event] = []

    async def on_event(event: Event) -> None:
        received.append(event)

    receiver = WebhookReceiver(on_event, verifier=verifier)
    body, headers = deliver(PAYLOAD)
    first = await receiver.handle(body, headers)
    # The service's retry carries a fresh timestamp and signature but the same event.
    again = await receiver.handle(*deliver(PAYLOAD, trace="t-retry"))
    assert first.status == again.status == 200
    assert envelope(first)["data"] is True and envelope(first)["trace"] == "t-test-trace-1"
    assert envelope(again)["trace"] == "t-retry"
    assert len(received) == 1 and isinstance(received[0], OrderExecReport)

    await receiver.handle(*deliver(wrap(exec_report(tradeId="T2"))))
    assert [e.trade_id for e in received if isinstance(e, OrderExecReport)] == ["T1", "T2"]


@pytest.mark.anyio
async def test_rejections_answer_with_error_envelopes_and_never_call_the_handler(
    deliver: MakeDelivery, verifier: RsaSha1Verifier, other_keys: tuple[str, str]
) -> None:
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier)
    forged = await receiver.handle(*deliver(PAYLOAD, signer_key=other_keys[0]))
    stale = await receiver.handle(*deliver(PAYLOAD, timestamp=1_000_000_000_000))
    unsigned = await receiver.handle(*deliver(PAYLOAD, drop=("signature",)))
    malformed = await receiver.handle(b"{oops", {"trace": "t-m"})
    assert [r.status for r in (forged, stale, unsigned, malformed)] == [401, 401, 401, 400]
    assert [envelope(r)["code"] for r in (forged, stale, unsigned, malformed)] == [
        "00012001",
        "00012002",
        "00012001",
        "GGATEWAY_CODE_015",
    ]
    for response in (forged, stale, unsigned, malformed):
        decoded = envelope(response)
        assert decoded["ok"] is False and decoded["fail"] is True and decoded["data"] is False
    assert envelope(malformed)["trace"] == "t-m"
    assert received == []


@pytest.mark.anyio
async def test_a_failing_handler_gets_the_redelivery(
    deliver: MakeDelivery, verifier: RsaSha1Verifier, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    def on_event(event: Event) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database down")

    receiver = WebhookReceiver(on_event, verifier=verifier)
    with caplog.at_level(logging.ERROR, logger="multimarkets.webhooks"):
        failed = await receiver.handle(*deliver(PAYLOAD))
    assert failed.status == 500 and envelope(failed)["data"] is False
    assert "database down" not in failed.body.decode()
    assert "on_event failed" in caplog.text
    retried = await receiver.handle(*deliver(PAYLOAD))
    assert retried.status == 200 and calls == 2
    assert (await receiver.handle(*deliver(PAYLOAD))).status == 200 and calls == 2


@pytest.mark.anyio
async def test_a_concurrent_redelivery_is_told_to_retry_later(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    started, release = anyio.Event(), anyio.Event()

    async def slow(event: Event) -> None:
        started.set()
        await release.wait()

    receiver = WebhookReceiver(slow, verifier=verifier)
    results: list[WebhookResponse] = []

    async def first() -> None:
        results.append(await receiver.handle(*deliver(PAYLOAD)))

    async with anyio.create_task_group() as tg:
        tg.start_soon(first)
        await started.wait()
        busy = await receiver.handle(*deliver(PAYLOAD))
        assert busy.status == 409 and envelope(busy)["data"] is False
        release.set()
    assert results[0].status == 200
    assert (await receiver.handle(*deliver(PAYLOAD))).status == 200


@pytest.mark.anyio
async def test_cancellation_releases_the_claim(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    store = MemoryDedupStore()

    async def never(event: Event) -> None:
        await anyio.sleep_forever()

    receiver = WebhookReceiver(never, verifier=verifier, dedup=store)
    body, headers = deliver(PAYLOAD)
    with anyio.move_on_after(0):
        await receiver.handle(body, headers)
    event = receiver.accept(body, headers)
    assert store.claim(event.identity) is Claim.NEW


def test_handle_sync_for_synchronous_frameworks(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier)
    assert receiver.handle_sync(*deliver(PAYLOAD)).status == 200
    assert receiver.handle_sync(*deliver(PAYLOAD)).status == 200
    assert len(received) == 1

    async def asynchronous(event: Event) -> None:
        raise AssertionError("never awaited")

    wrong = WebhookReceiver(asynchronous, verifier=verifier)
    with pytest.raises(ConfigurationError, match=r"await receiver\.handle"):
        wrong.handle_sync(*deliver(PAYLOAD))
    assert wrong.dedup.claim(wrong.accept(*deliver(PAYLOAD)).identity) is Claim.NEW


def test_unknown_events_reach_the_handler(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier)
    assert receiver.handle_sync(*deliver(wrap({"msgType": "QUOTE_TAG", "quoteId": "q1"}))).status == 200
    assert isinstance(received[0], UnknownEvent) and received[0].msg_type == "QUOTE_TAG"


def test_no_verification_must_be_asked_for_and_is_logged(
    deliver: MakeDelivery, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(TypeError):
        WebhookReceiver(print)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError):
        WebhookReceiver(print, verifier="a public key")  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="multimarkets.webhooks"):
        receiver = WebhookReceiver(lambda event: None, verifier=None)
    assert "NOT verified" in caplog.text
    assert receiver.handle_sync(*deliver(PAYLOAD, drop=("signature", "timestamp"))).status == 200


def test_memory_store_is_bounded() -> None:
    store = MemoryDedupStore(max_size=2)
    for key in ("a", "b", "c"):
        assert store.claim(key) is Claim.NEW
        store.complete(key)
    assert len(store) == 2
    assert store.claim("b") is Claim.DUPLICATE and store.claim("c") is Claim.DUPLICATE
    assert store.claim("a") is Claim.NEW
    assert store.claim("a") is Claim.IN_PROGRESS
    store.release("a")
    assert store.claim("a") is Claim.NEW
    with pytest.raises(ConfigurationError):
        MemoryDedupStore(max_size=0)


@pytest.mark.anyio
async def test_aiohttp_handler_over_loopback(
    deliver: MakeDelivery, verifier: RsaSha1Verifier, other_keys: tuple[str, str]
) -> None:
    received: list[Event] = []

    async def on_event(event: Event) -> None:
        received.append(event)

    app = web.Application()
    app.router.add_post("/notification", aiohttp_handler(on_event, verifier=verifier, api_key="ak-1"))
    async with serving(app) as url, aiohttp.ClientSession() as http:
        statuses = []
        for body, headers in (
            deliver(PAYLOAD),
            deliver(PAYLOAD, trace="t-again"),
            deliver(PAYLOAD, signer_key=other_keys[0]),
            deliver(PAYLOAD, api_key="ak-other"),
        ):
            async with http.post(url, data=body, headers=headers) as response:
                statuses.append(response.status)
                reply = await response.json()
                assert reply["trace"] == headers["trace"] == response.headers["trace"]
    assert statuses == [200, 200, 401, 401]
    assert len(received) == 1
