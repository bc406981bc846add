"""The Data Push WebSocket takes the client's networking options: a TLS server verified against a CA file, an
HTTPS proxy tunnel with credentials, and the trace hooks. A certificate that does not verify ends the stream at
once (waiting cannot fix it), and closing the client closes the stream's socket even while the server has not ended
TLS (the client's connector does, for every connection: test_tls_closing.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import anyio
import pytest
from network_helpers import Authority, ForwardProxy, TlsFront, pump

from multimarkets import AsyncManagerClient, CertificateError, ManagerClient, ManagerCredentials
from multimarkets.manager.push import DataPushEvent
from multimarkets.sandbox import Sandbox

USER, PASSWORD = "egress", "pw"
pytestmark = pytest.mark.usefixtures("no_proxy_from_outside")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox.in_thread() as sb:
        yield sb


class CountingTlsFront(TlsFront):
    """A TLS front that counts the connections it was given."""

    connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await super().handle(reader, writer)


class SlowToEndTls(TlsFront):
    """A TLS front that, once it has passed the service's WebSocket close frame on, reads nothing more from the
    client and never ends the TLS session itself: the client's close_notify stays unanswered, as it does for a
    while from a distant server."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self.connect("127.0.0.1", self._upstream_port)
        to_service = asyncio.ensure_future(pump(reader, up_writer))
        while data := await up_reader.read(65536):
            if data[:1] == b"\x88":  # an unmasked close frame: the service's, answering the client's
                writer.transport.pause_reading()
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(asyncio.CancelledError):
            await to_service  # until stop(), which cancels it: the client's end stays open till then


@pytest.fixture
def tls(authority: Authority, sandbox: Sandbox) -> Iterator[CountingTlsFront]:
    front = CountingTlsFront(authority.server_context, sandbox.port)
    yield front
    front.stop()


def first_event(sandbox: Sandbox, base_url: str, **options: Any) -> DataPushEvent:
    """Follow the stream at ``base_url`` with ``options``; push one event once it is connected."""

    def publish() -> None:
        deadline = time.monotonic() + 30
        while sandbox.stats()["push_connections"] == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        sandbox.push_event("kyc", {"id": "1", "revision": 1})

    given = sandbox.manager_credentials
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    with ManagerClient(credentials, base_url, trust_env=False, **options) as client:
        threading.Thread(target=publish, daemon=True).start()
        events = client.data_push.events("g1")
        first = next(events)
        events.close()  # type: ignore[attr-defined]  # a generator: closing it closes the WebSocket
    until(lambda: sandbox.stats()["push_connections"] == 0)
    return first


def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (the relays and the sandbox close their ends in threads of their own)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not met within 10 s"
        time.sleep(0.005)


def test_wss_through_an_https_proxy_tunnel_verified_against_a_ca_file(
    sandbox: Sandbox, tls: CountingTlsFront, authority: Authority
) -> None:
    proxy = ForwardProxy(USER, PASSWORD)
    try:
        event = first_event(
            sandbox,
            f"{tls.url}/openapi-b",
            ssl=authority.ca_file,
            proxy=f"http://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}",
        )
        until(lambda: not proxy._connections and not tls._connections)  # both ends closed before stopping
    finally:
        proxy.stop()
    assert event.event_type == "kyc"
    assert {(p.method, p.target) for p in proxy.passed} == {("CONNECT", f"127.0.0.1:{tls.port}")}
    assert len(proxy.passed) == tls.connections  # the auth call and the WebSocket: none went around the proxy


def test_trace_hooks_see_the_handshake(sandbox: Sandbox) -> None:
    seen: list[str] = []

    async def on_request_start(session: Any, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    assert first_event(sandbox, sandbox.manager_base_url, trace_configs=[trace]).event_type == "kyc"
    assert seen[-1] == "/openapi-b/ws"


def test_a_certificate_that_does_not_verify_ends_the_stream_at_once(sandbox: Sandbox, tls: CountingTlsFront) -> None:
    given = sandbox.manager_credentials

    async def follow() -> None:
        credentials = ManagerCredentials(given.app_id, given.app_secret)
        async with AsyncManagerClient(credentials, f"{tls.url}/openapi-b", trust_env=False) as client:
            with anyio.fail_after(60):  # a stream that took it for an outage would retry here without end
                async for _ in client.data_push.events("g1", reconnect_delay=0):
                    pytest.fail("nothing can arrive from a server whose certificate does not verify")

    with pytest.raises(CertificateError) as caught:
        asyncio.run(follow())
    assert "certificate" in str(caught.value) and not caught.value.maybe_processed
    assert caught.value.attempts == 1, "the auth call is not repeated either"
    assert sandbox.stats()["push_connections"] == 0


def test_closing_leaves_no_socket_for_the_garbage_collector(sandbox: Sandbox, authority: Authority) -> None:
    front = SlowToEndTls(authority.server_context, sandbox.port)
    try:
        assert first_event(sandbox, f"{front.url}/openapi-b", ssl=authority.ca_file).event_type == "kyc"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            gc.collect()
    finally:
        front.stop()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
