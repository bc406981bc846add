"""Data Push through the SDK over a real WebSocket on loopback to the sandbox: typed events, each delivered once
across injected drops and replays, token expiry, the ping, closing, and the handler style."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from push_helpers import collect, kyc, until

from multimarkets import ConfigurationError, RateLimit
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.manager.push import DataPushEvent, KycEvent, RegisterEvent, UnknownEvent
from multimarkets.sandbox import ManagerConfig, Sandbox

pytestmark = pytest.mark.anyio

FAST = {"reconnect_delay": 0.01}


class FakeClock:
    """The sandbox's monotonic clock, moved by the test (token lifetimes are measured on it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def manager_of(sandbox: Sandbox) -> AsyncIterator[AsyncManagerClient]:
    given = sandbox.manager_credentials
    options: dict[str, Any] = {"rate_limit": RateLimit(1000, 1.0), "strict": True, "trust_env": False}
    async with AsyncManagerClient(ManagerCredentials(given.app_id, given.app_secret), given.base_url, **options) as c:
        yield c


async def push_and_collect(
    sandbox: Sandbox, events: AsyncIterator[DataPushEvent], count: int, *pushes: tuple[str, dict[str, Any]]
) -> list[DataPushEvent]:
    """Once ``events`` is connected, push ``pushes``; the first ``count`` events it yields."""
    got: list[DataPushEvent] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, events, count, got)
        await until(lambda: sandbox.stats()["push_connections"] == 1)
        for event_type, data in pushes:
            sandbox.push_event(event_type, data)
    return got


async def test_every_event_once_and_in_order_across_injected_drops(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "multimarkets.data_push")
    config = ManagerConfig(push_drop_rate=0.25)
    async with Sandbox(manager=config, seed=11) as sandbox, manager_of(sandbox) as client:
        events = client.data_push.events("g1", **FAST)
        got = await push_and_collect(sandbox, events, 60, *(("kyc", kyc(n)) for n in range(1, 61)))
        await events.aclose()
    drops = [r for r in caplog.records if "connection closed" in r.getMessage()]
    assert len(drops) >= 5  # the sandbox dropped the socket and replayed its last messages that often
    assert all(isinstance(event, KycEvent) for event in got)
    assert [event.id for event in got] == [str(n) for n in range(1, 61)]


async def test_an_expired_token_is_refreshed_and_the_stream_resumes() -> None:
    clock = FakeClock()
    async with Sandbox(manager=ManagerConfig(token_lifetime=60), clock=clock) as sandbox, manager_of(sandbox) as client:
        events = client.data_push.events("g1", **FAST)
        got = await push_and_collect(sandbox, events, 2, ("kyc", kyc(1)), ("kyc", kyc(2)))
        clock.now += 120  # the token is now expired: the reconnection must fetch a new one
        assert sandbox.drop_push_connections() == 1
        sandbox.push_event("kyc", kyc(3))
        sandbox.push_event("kyc", kyc(4))
        await collect(events, 4, got)
        await events.aclose()
        assert client._scheme.tokens.fetches == 2
    assert [event.id for event in got] == ["1", "2", "3", "4"]


async def test_unknown_event_types_arrive_as_unknown_events() -> None:
    async with Sandbox() as sandbox, manager_of(sandbox) as client:
        events = client.data_push.events("g1", **FAST)
        pushes = [("margin_call", {"accountId": 7, "level": level}) for level in ("0.8", "0.9")]
        got = await push_and_collect(sandbox, events, 2, *pushes)
        await events.aclose()
    assert [type(event) for event in got] == [UnknownEvent, UnknownEvent]
    assert [(event.event_type, event.raw) for event in got] == [
        ("margin_call", {"accountId": 7, "level": "0.8"}),
        ("margin_call", {"accountId": 7, "level": "0.9"}),
    ]


async def test_registration_arrives_typed_from_what_happens_in_the_sandbox() -> None:
    async with Sandbox() as sandbox, manager_of(sandbox) as client:
        got: list[DataPushEvent] = []
        events = client.data_push.events("g1", **FAST)
        async with anyio.create_task_group() as tg:
            tg.start_soon(collect, events, 2, got)
            await until(lambda: sandbox.stats()["push_connections"] == 1)
            customer_no = await client.customers.register(
                email="push@example.com", password="pw-123456", country="CN", accounts={1: "USDT"}
            )
        await events.aclose()
    register, opened = got
    assert isinstance(register, RegisterEvent) and register.customer_no == customer_no
    assert opened.event_type == "open_account"


async def test_the_connection_pings_and_closing_the_iterator_closes_it() -> None:
    async with Sandbox() as sandbox, manager_of(sandbox) as client:
        events = client.data_push.events("g1", ping_interval=0.02, **FAST)
        async with anyio.create_task_group() as tg:
            tg.start_soon(collect, events, 1, [])
            await until(lambda: sandbox.stats()["push_pings"] >= 3)
            sandbox.push_event("kyc", kyc(1))
        assert sandbox.stats()["push_connections"] == 1
        await events.aclose()
        await until(lambda: sandbox.stats()["push_connections"] == 0)


async def test_leaving_an_aclosing_block_closes_the_connection() -> None:
    async with Sandbox() as sandbox, manager_of(sandbox) as client:
        got: list[DataPushEvent] = []

        async def first_event() -> None:
            async with contextlib.aclosing(client.data_push.events("g1", **FAST)) as events:
                async for event in events:
                    got.append(event)
                    break

        async with anyio.create_task_group() as tg:
            tg.start_soon(first_event)
            await until(lambda: sandbox.stats()["push_connections"] == 1)
            sandbox.push_event("kyc", kyc(1))
        await until(lambda: sandbox.stats()["push_connections"] == 0)
    assert [event.id for event in got] == ["1"]


async def test_run_offers_a_failed_event_again_before_the_next(caplog: pytest.LogCaptureFixture) -> None:
    handled: list[str] = []
    calls: list[str] = []
    done = anyio.Event()

    async def on_event(event: DataPushEvent) -> None:
        assert isinstance(event, KycEvent) and event.id is not None
        calls.append(event.id)
        if event.id == "2" and calls.count("2") < 3:
            raise RuntimeError("the database is away")
        handled.append(event.id)
        if len(handled) == 3:
            done.set()

    async with Sandbox() as sandbox, manager_of(sandbox) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: client.data_push.run(on_event, "g1", **FAST))
            await until(lambda: sandbox.stats()["push_connections"] == 1)
            for n in (1, 2, 3):
                sandbox.push_event("kyc", kyc(n))
            await done.wait()
            tg.cancel_scope.cancel()
        await until(lambda: sandbox.stats()["push_connections"] == 0)
    assert handled == ["1", "2", "3"]
    assert calls == ["1", "2", "2", "2", "3"]
    assert sum("on_event failed" in r.getMessage() for r in caplog.records) == 2


async def test_a_shared_seen_store_records_what_was_delivered(tmp_path: Any) -> None:
    from multimarkets.webhooks import Claim, SqliteDedupStore

    store = SqliteDedupStore(tmp_path / "seen.db")
    try:
        async with Sandbox() as sandbox, manager_of(sandbox) as client:
            events = client.data_push.events("g1", seen=store, **FAST)
            got = await push_and_collect(sandbox, events, 1, ("kyc", kyc(1)))
            await events.aclose()
        assert store.claim(got[0].identity) is Claim.DUPLICATE
    finally:
        store.close()  # Python 3.13 reports a connection left to the garbage collector (failed CI's 3.13 run)


class Relay:
    """A TCP relay to the sandbox whose open connections can be frozen: a network path that went silent
    without closing (no FIN, no RST), which only the heartbeat can notice."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._frozen: list[anyio.Event] = []
        self._scopes: list[anyio.CancelScope] = []
        self._done: list[anyio.Event] = []
        self.port = 0
        self._server: Any = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def freeze(self) -> None:
        for frozen in self._frozen:
            frozen.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frozen, done = anyio.Event(), anyio.Event()
        self._frozen.append(frozen)
        self._done.append(done)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                if frozen.is_set():
                    await anyio.sleep_forever()
                sink.write(data)
                await sink.drain()

        writers = [writer]
        try:
            with anyio.CancelScope() as scope, contextlib.suppress(OSError):
                self._scopes.append(scope)
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
                writers.append(up_writer)
                async with anyio.create_task_group() as tg:
                    tg.start_soon(pump, reader, up_writer)
                    tg.start_soon(pump, up_reader, writer)
        finally:
            for each in writers:
                each.close()
            done.set()

    async def aclose(self) -> None:
        for scope in self._scopes:
            scope.cancel()
        for done in self._done:
            await done.wait()
        self._server.close()
        await self._server.wait_closed()


async def test_a_path_gone_silent_is_noticed_by_the_heartbeat_and_replaced() -> None:
    async with Sandbox() as sandbox:
        relay = Relay(sandbox.port)
        await relay.start()
        given = sandbox.manager_credentials
        credentials = ManagerCredentials(given.app_id, given.app_secret)
        base_url = f"http://127.0.0.1:{relay.port}/openapi-b"
        options: dict[str, Any] = {"rate_limit": RateLimit(1000, 1.0), "strict": True, "trust_env": False}
        async with AsyncManagerClient(credentials, base_url, **options) as client:
            got: list[DataPushEvent] = []
            events = client.data_push.events("g1", ping_interval=0.05, **FAST)
            async with anyio.create_task_group() as tg:
                tg.start_soon(collect, events, 2, got)
                await until(lambda: sandbox.stats()["push_connections"] == 1)
                sandbox.push_event("kyc", kyc(1))
                await until(lambda: len(got) == 1)
                relay.freeze()  # the open connection now carries nothing, either way
                pings = sandbox.stats()["push_pings"]
                await until(lambda: sandbox.stats()["push_pings"] > pings)  # pings arrive over a new connection
                sandbox.push_event("kyc", kyc(2))
            await events.aclose()
        await relay.aclose()
    assert [event.id for event in got] == ["1", "2"]  # the frozen connection could not have carried the second


async def test_bad_options_are_refused_before_anything_is_sent() -> None:
    async with Sandbox() as sandbox, manager_of(sandbox) as client:
        for group, options in ((" ", {}), ("g1", {"ping_interval": 0}), ("g1", {"reconnect_delay": -1})):
            with pytest.raises(ConfigurationError):
                await client.data_push.events(group, **options).__anext__()
        with pytest.raises(ConfigurationError):
            await client.data_push.run("not callable", "g1")  # type: ignore[arg-type]
        assert client._scheme.tokens.fetches == 0 and sandbox.stats()["push_connections"] == 0
