"""How long a synchronous caller (a WSGI server's request thread) can be held by a dedup store that does not
answer: no longer than an asynchronous one, and never behind other calls' full timeouts, so that the refusal
reaches the service within its 3 s answer window."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import anyio
import anyio.to_thread
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from stuck_store import Stuck
from webhook_samples import MakeDelivery, exec_report, locked_by_another_writer, post, serving, wrap
from yarl import URL

from multimarkets.signing import RsaSha1Verifier
from multimarkets.webhooks import Claim, Event, OrderExecReport, SqliteDedupStore, WebhookReceiver, aiohttp_handler
from multimarkets.webhooks._store_thread import CLAIM_WAIT
from multimarkets.webhooks.dedup_sqlite import BUSY_TIMEOUT_SECONDS

TRACE = "t-store-wait-1"


def handled(received: list[Event]) -> list[str]:
    """The trade ids of the events ``on_event`` was given, sorted."""
    return sorted(event.trade_id for event in received if isinstance(event, OrderExecReport))


class Crowded(Stuck):
    """A stuck store that counts the claims in it at once (``most``). One beyond the receiver's 8 returns at once
    rather than hang, so that a receiver letting it in fails the test instead of stalling it."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._inside = 0
        self.most = 0

    def claim(self, key: str) -> Claim:
        with self._lock:
            self._inside += 1
            self.most = max(self.most, self._inside)
            crowded = self._inside > 8
        try:
            return self.inner.claim(key) if crowded else super().claim(key)
        finally:
            with self._lock:
                self._inside -= 1


@pytest.mark.anyio
@pytest.mark.parametrize("ninth", ["handle_sync", "handle"])
async def test_a_delivery_finding_8_sync_callers_stuck_on_the_store_gets_its_503_and_makes_no_ninth_call(
    ninth: str, deliver: MakeDelivery, verifier: RsaSha1Verifier, caplog: pytest.LogCaptureFixture
) -> None:
    # handle: one receiver behind a WSGI route (handle_sync) and an ASGI route has 8 calls in its store in all.
    store = Crowded()
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier, dedup=store)
    with ThreadPoolExecutor(8) as request_threads:
        stuck = [
            request_threads.submit(receiver.handle_sync, *deliver(wrap(exec_report(tradeId=f"T{n}")))) for n in range(8)
        ]
        try:
            await store.claims_started(8)
            late = deliver(wrap(exec_report(tradeId="T9")), trace=TRACE)
            with caplog.at_level(logging.ERROR, logger="multimarkets.webhooks"):
                if ninth == "handle":
                    status, headers, body = await receiver.handle(*late)
                else:  # in the loop's thread: a request thread of its own, whose wait nothing else needs
                    status, headers, body = receiver.handle_sync(*late)
            assert not any(request.done() for request in stuck)  # the 8 still hang on their store
        finally:
            store.go.set()
        answers = [request.result() for request in stuck]
    assert store.most == 8
    reply = json.loads(body)
    assert status == 503 and headers["trace"] == TRACE and reply["code"] == "GGATEWAY_CODE_012"
    assert reply["tm"] >= CLAIM_WAIT * 1000  # the answer's time counts the wait
    assert TRACE in caplog.text and "the dedup store is busy" in caplog.text
    assert [answer.status for answer in answers] == [200] * 8
    assert handled(received) == [f"T{n}" for n in range(8)]


def test_sync_deliveries_queued_behind_a_locked_sqlite_file_are_all_refused_within_one_timeout(
    tmp_path: Path, sqlite_store: SqliteDedupStore, deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier, dedup=sqlite_store)
    with locked_by_another_writer(tmp_path / "dedup.db"), ThreadPoolExecutor(4) as request_threads:
        deliveries = [deliver(wrap(exec_report(tradeId=f"T{n}"))) for n in range(4)]
        answers = list(request_threads.map(lambda delivery: receiver.handle_sync(*delivery), deliveries))
    assert [answer.status for answer in answers] == [503] * 4
    # Each waited for the file once, not also for the calls ahead of it in turn (2, 4, 6 then 8 s before).
    assert max(json.loads(answer.body)["tm"] for answer in answers) < 2 * BUSY_TIMEOUT_SECONDS * 1000
    # The lock gone, the store waits as long as before and works: the service's retries are handled.
    assert all(receiver.handle_sync(*delivery).status == 200 for delivery in deliveries)
    assert len(received) == 4


@pytest.mark.anyio
async def test_deliveries_whose_client_went_away_keep_their_threads_until_their_claims_return_then_give_them_up(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    store = Stuck()
    received: list[Event] = []
    cancelled: list[str] = []
    all_cancelled = anyio.Event()

    @web.middleware
    async def watch(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except asyncio.CancelledError:  # what aiohttp does to the handler of a client that went away
            cancelled.append(request.headers["trace"])
            if len(cancelled) == 8:
                all_cancelled.set()
            raise

    app = web.Application(middlewares=[watch])
    app.router.add_post("/notification", aiohttp_handler(received.append, verifier=verifier, dedup=store))
    deliveries = [deliver(wrap(exec_report(tradeId=f"T{n}")), trace=f"t-gone-{n}") for n in range(8)]
    async with serving(app, handler_cancellation=True) as url, aiohttp.ClientSession() as http:
        port = URL(url).port
        try:
            for body, headers in deliveries:  # 8 clients send, and go away while the store hangs
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
                writer.write(
                    f"POST /notification HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
                )
                writer.write(body)
                await store.claims_started(1)
                writer.close()
            await all_cancelled.wait()
            # Their threads still hang on the store: they count, a ninth delivery finds none free.
            status, reply, _ = await post(http, url, deliver(wrap(exec_report(tradeId="T9")), trace=TRACE))
            assert status == 503 and reply["code"] == "GGATEWAY_CODE_012"
        finally:
            store.go.set()
        await anyio.to_thread.run_sync(lambda: [store.released.acquire() for _ in range(8)])
        # Their claims were given up: the service's next deliveries are handled, not answered 409.
        answers = [await post(http, url, delivery) for delivery in deliveries]
    assert [status for status, _, _ in answers] == [200] * 8
    assert handled(received) == [f"T{n}" for n in range(8)]


@pytest.mark.anyio
async def test_a_delivery_cancelled_while_its_claim_ran_records_the_event_its_handler_then_handled(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    # A server shutting down cancels its handlers: this one's claim still returns (its thread cannot be stopped),
    # its plain on_event then runs, and the record that follows must not be dropped by the pending cancellation.
    store = Stuck()
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier, dedup=store)
    delivery = deliver(wrap(exec_report()), trace=TRACE)
    async with anyio.create_task_group() as tg:
        tg.start_soon(receiver.handle, *delivery)
        try:
            await store.claims_started(1)
            tg.cancel_scope.cancel()
        finally:
            store.go.set()
    assert await anyio.to_thread.run_sync(store.completed.acquire, True, 10), "the handled event was not recorded"
    assert (await receiver.handle(*delivery)).status == 200  # a duplicate: acknowledged, not handled again
    assert handled(received) == ["T1"]


@pytest.mark.anyio
async def test_a_sync_delivery_finding_8_async_deliveries_in_the_store_gets_its_503_and_makes_no_ninth_call(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    store = Crowded()
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier, dedup=store)
    statuses: list[int] = []

    async def delivery(n: int) -> None:
        statuses.append((await receiver.handle(*deliver(wrap(exec_report(tradeId=f"T{n}")))))[0])

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(delivery, n)
        try:
            await store.claims_started(8)
            late = deliver(wrap(exec_report(tradeId="T9")), trace=TRACE)
            status, headers, body = await anyio.to_thread.run_sync(receiver.handle_sync, *late)
            assert statuses == []  # the 8 still hang on their store
        finally:
            store.go.set()
    assert store.most == 8
    assert status == 503 and headers["trace"] == TRACE and json.loads(body)["code"] == "GGATEWAY_CODE_012"
    assert statuses == [200] * 8
    assert handled(received) == [f"T{n}" for n in range(8)]
