"""A dedup store whose backend fails: a real Redis killed or frozen mid-test, a real SQLite file locked by another
connection. What the service sees (status, code, trace) and the one log line that says why. And a store that
waits on its backend: it holds up its own delivery only, neither the event loop nor the default worker threads."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import aiohttp
import anyio
import anyio.to_thread
import pytest
from aiohttp import web
from redis_process import RedisProcess
from stuck_store import Stuck
from webhook_samples import MakeDelivery, exec_report, locked_by_another_writer, post, serving, wrap

from multimarkets.signing import RsaSha1Verifier
from multimarkets.webhooks import (
    Claim,
    DedupStoreError,
    Event,
    OrderExecReport,
    RedisDedupStore,
    SqliteDedupStore,
    WebhookReceiver,
    aiohttp_handler,
)
from multimarkets.webhooks._store_thread import CLAIM_WAIT

TRACE = "t-store-trace-1"


class OnRedis(NamedTuple):
    server: RedisProcess
    store: RedisDedupStore


@pytest.fixture
def on_redis(own_redis: RedisProcess) -> Iterator[OnRedis]:
    """A store on this test's own Redis, which the test may freeze or kill."""
    store = RedisDedupStore(own_redis.url)
    yield OnRedis(own_redis, store)
    store.close()


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The receiver's log records, from INFO up."""
    with caplog.at_level(logging.INFO, logger="multimarkets.webhooks"):
        yield caplog


def trade_ids(received: list[Event]) -> list[str]:
    return [event.trade_id for event in received if isinstance(event, OrderExecReport)]


def store_lines(log: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in log.records if r.name == "multimarkets.webhooks" and "dedup store failed" in r.message]


@pytest.mark.anyio
async def test_a_killed_redis_gets_a_503_the_service_retries_with_the_trace_and_one_log_line(
    on_redis: OnRedis, deliver: MakeDelivery, verifier: RsaSha1Verifier, log: pytest.LogCaptureFixture
) -> None:
    own_redis, redis_store = on_redis
    received: list[Event] = []
    app = web.Application()
    app.router.add_post("/notification", aiohttp_handler(received.append, verifier=verifier, dedup=redis_store))
    async with serving(app) as url, aiohttp.ClientSession() as http:
        assert (await post(http, url, deliver(wrap(exec_report()))))[0] == 200
        own_redis.kill()
        status, reply, trace = await post(http, url, deliver(wrap(exec_report(tradeId="T2")), trace=TRACE))
    assert status == 503 and trace == TRACE
    assert reply["code"] == "GGATEWAY_CODE_012" and reply["ok"] is False and reply["data"] is False
    assert reply["trace"] == TRACE and "retry later" in reply["msg"]
    assert trade_ids(received) == ["T1"]  # not handled without a claim
    [line] = store_lines(log)
    assert line.levelno == logging.ERROR and line.exc_info is None
    assert TRACE in line.message and "503" in line.message
    assert line.message.startswith('event ["ORDER_EXEC_REPORT","220","O1","T2","3"] refused with 503')
    assert f"redis://***@127.0.0.1:{own_redis.port}/0" in line.message and "Connection refused" in line.message
    assert own_redis.password is not None and own_redis.password not in log.text


@pytest.mark.anyio
async def test_redis_killed_while_on_event_runs_still_acknowledges_the_handled_event(
    on_redis: OnRedis, deliver: MakeDelivery, verifier: RsaSha1Verifier, log: pytest.LogCaptureFixture
) -> None:
    own_redis, redis_store = on_redis
    received: list[Event] = []

    def on_event(event: Event) -> None:
        received.append(event)
        own_redis.kill()

    receiver = WebhookReceiver(on_event, verifier=verifier, dedup=redis_store)
    status, headers, body = await receiver.handle(*deliver(wrap(exec_report()), trace=TRACE))
    assert status == 200 and headers["trace"] == TRACE and b'"code":"0"' in body
    assert trade_ids(received) == ["T1"]
    [line] = store_lines(log)
    assert line.levelno == logging.ERROR and TRACE in line.message
    assert "handled but not recorded" in line.message and "runs on_event again" in line.message


@pytest.mark.anyio
async def test_redis_killed_while_a_failing_on_event_runs_keeps_the_500(
    on_redis: OnRedis, deliver: MakeDelivery, verifier: RsaSha1Verifier, log: pytest.LogCaptureFixture
) -> None:
    own_redis, redis_store = on_redis

    def on_event(event: Event) -> None:
        own_redis.kill()
        raise RuntimeError("the user's database is down too")

    receiver = WebhookReceiver(on_event, verifier=verifier, dedup=redis_store)
    status, headers, body = await receiver.handle(*deliver(wrap(exec_report()), trace=TRACE))
    assert status == 500 and headers["trace"] == TRACE and b'"code":"G500"' in body
    [line] = store_lines(log)
    assert "could not be released" in line.message and "409" in line.message and TRACE in line.message
    [failed] = [r for r in log.records if r.message.startswith("on_event failed")]
    assert failed.exc_info is not None and "the user's database is down too" in log.text


def test_a_sqlite_file_locked_by_another_connection_gets_a_503(
    tmp_path: Path,
    sqlite_store: SqliteDedupStore,
    deliver: MakeDelivery,
    verifier: RsaSha1Verifier,
    log: pytest.LogCaptureFixture,
) -> None:
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier, dedup=sqlite_store)
    with locked_by_another_writer(tmp_path / "dedup.db"):
        status, headers, body = receiver.handle_sync(*deliver(wrap(exec_report()), trace=TRACE))
    assert status == 503 and headers["trace"] == TRACE and b'"code":"GGATEWAY_CODE_012"' in body
    assert received == []
    [line] = store_lines(log)
    assert TRACE in line.message and "database is locked" in line.message and str(tmp_path / "dedup.db") in line.message
    # The lock gone, the store works again: the service's retry is handled.
    assert receiver.handle_sync(*deliver(wrap(exec_report()), trace=TRACE)).status == 200
    assert trade_ids(received) == ["T1"]


@pytest.mark.anyio
async def test_a_sqlite_file_locked_while_on_event_runs_acknowledges_and_a_retry_meets_the_claim(
    tmp_path: Path, deliver: MakeDelivery, verifier: RsaSha1Verifier, log: pytest.LogCaptureFixture
) -> None:
    sqlite_path = tmp_path / "dedup.db"
    store = SqliteDedupStore(sqlite_path)
    other = sqlite3.connect(sqlite_path, isolation_level=None)

    def on_event(event: Event) -> None:
        other.execute("BEGIN IMMEDIATE")

    receiver = WebhookReceiver(on_event, verifier=verifier, dedup=store)
    try:
        first = await receiver.handle(*deliver(wrap(exec_report()), trace=TRACE))
        other.execute("ROLLBACK")
        assert first.status == 200
        [line] = store_lines(log)
        assert "handled but not recorded" in line.message and "database is locked" in line.message
        # Not recorded as handled: the claim stands until it expires, so a redelivery meanwhile is told to wait.
        assert (await receiver.handle(*deliver(wrap(exec_report()), trace="t-retry"))).status == 409
    finally:
        other.close()
        store.close()


@pytest.mark.anyio
async def test_a_frozen_redis_gets_a_503_once_its_command_times_out(
    on_redis: OnRedis, deliver: MakeDelivery, verifier: RsaSha1Verifier, log: pytest.LogCaptureFixture
) -> None:
    own_redis, redis_store = on_redis
    receiver = WebhookReceiver(lambda event: None, verifier=verifier, dedup=redis_store)
    own_redis.pause()
    try:
        status, headers, body = await receiver.handle(*deliver(wrap(exec_report()), trace=TRACE))
    finally:
        own_redis.resume()
    assert status == 503 and headers["trace"] == TRACE and b'"code":"GGATEWAY_CODE_012"' in body
    [line] = store_lines(log)
    assert TRACE in line.message and "Timeout" in line.message


@pytest.mark.anyio
async def test_a_delivery_refused_while_redis_was_frozen_is_handled_when_delivered_again(
    on_redis: OnRedis, deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    # The frozen server runs the timed-out claim once it resumes: the redelivery must not meet it as a claim
    # of someone else's (409 until claim_ttl ends, 300 s).
    own_redis, redis_store = on_redis
    received: list[Event] = []
    receiver = WebhookReceiver(received.append, verifier=verifier, dedup=redis_store)
    # One event first: the store's connection is then open, so that the frozen server receives the claim.
    status, _, _ = await receiver.handle(*deliver(wrap(exec_report(tradeId="T0")), trace=TRACE))
    assert status == 200
    own_redis.pause()
    try:
        status, _, _ = await receiver.handle(*deliver(wrap(exec_report()), trace=TRACE))
    finally:
        own_redis.resume()
    assert status == 503
    for _ in range(2):
        status, _, _ = await receiver.handle(*deliver(wrap(exec_report()), trace=TRACE))
        assert status == 200 and trade_ids(received) == ["T0", "T1"]


@pytest.mark.anyio
async def test_a_store_waiting_on_its_backend_holds_up_its_delivery_but_not_the_rest_of_the_app(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    store = Stuck()
    received: list[Event] = []
    app = web.Application()
    app.router.add_post("/notification", aiohttp_handler(received.append, verifier=verifier, dedup=store))
    app.router.add_get("/health", health)
    statuses: list[int] = []
    async with serving(app) as url, aiohttp.ClientSession() as http:

        async def delivery() -> None:
            statuses.append((await post(http, url, deliver(wrap(exec_report()))))[0])

        async with anyio.create_task_group() as tg:
            tg.start_soon(delivery)
            try:
                await store.claims_started(1)
                async with http.get(url.replace("/notification", "/health")) as response:
                    assert response.status == 200
                assert statuses == []  # the delivery still waits for its store
            finally:
                store.go.set()
    assert statuses == [200] and trade_ids(received) == ["T1"]


@pytest.mark.anyio
async def test_deliveries_stuck_on_their_store_leave_the_default_worker_threads_to_the_application(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    store = Stuck()
    receiver = WebhookReceiver(lambda event: None, verifier=verifier, dedup=store)
    statuses: list[int] = []
    rest_refused = anyio.Event()

    async def delivery(n: int) -> None:
        statuses.append((await receiver.handle(*deliver(wrap(exec_report(tradeId=f"T{n}")))))[0])
        if statuses.count(503) == 33:
            rest_refused.set()

    async with anyio.create_task_group() as tg:
        for n in range(41):  # more than the default pool's 40 threads
            tg.start_soon(delivery, n)
        try:
            await store.claims_started(8)
            # What a Starlette sync route or the app's own to_thread call needs: a thread of the default pool.
            assert await anyio.to_thread.run_sync(lambda: "free") == "free"
            await rest_refused.wait()  # those that found no thread free
            assert 200 not in statuses  # the 8 in a thread still wait for their store
        finally:
            store.go.set()
    assert sorted(statuses) == [200] * 8 + [503] * 33


@pytest.mark.anyio
async def test_a_delivery_finding_every_store_thread_stuck_gets_its_503_while_they_still_hang(
    deliver: MakeDelivery, verifier: RsaSha1Verifier, log: pytest.LogCaptureFixture
) -> None:
    store = Stuck()
    received: list[Event] = []
    app = web.Application()
    app.router.add_post("/notification", aiohttp_handler(received.append, verifier=verifier, dedup=store))
    statuses: list[int] = []
    async with serving(app) as url, aiohttp.ClientSession() as http:

        async def delivery(n: int) -> None:
            statuses.append((await post(http, url, deliver(wrap(exec_report(tradeId=f"T{n}")))))[0])

        async with anyio.create_task_group() as tg:
            for n in range(8):
                tg.start_soon(delivery, n)
            try:
                await store.claims_started(8)
                status, reply, trace = await post(http, url, deliver(wrap(exec_report(tradeId="T9")), trace=TRACE))
                assert statuses == []  # the 8 still hang on their store
            finally:
                store.go.set()
    assert status == 503 and trace == TRACE
    assert reply["code"] == "GGATEWAY_CODE_012" and reply["trace"] == TRACE and "retry later" in reply["msg"]
    assert reply["tm"] >= CLAIM_WAIT * 1000  # the answer's time counts the wait for a thread
    [line] = store_lines(log)
    assert TRACE in line.message and "busy: 1 calls waiting" in line.message
    assert statuses == [200] * 8 and sorted(trade_ids(received)) == [f"T{n}" for n in range(8)]


def test_a_custom_store_raising_the_error_gets_the_same_refusal(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    class Down:
        def claim(self, key: str) -> Claim:
            raise DedupStoreError("our key-value service is down")

        def complete(self, key: str) -> None: ...

        def release(self, key: str) -> None: ...

    receiver = WebhookReceiver(lambda event: None, verifier=verifier, dedup=Down())
    status, headers, body = receiver.handle_sync(*deliver(wrap(exec_report()), trace=TRACE))
    assert status == 503 and headers["trace"] == TRACE and b'"code":"GGATEWAY_CODE_012"' in body
