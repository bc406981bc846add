"""Fixtures of the transport tests: hostile servers on loopback, one call with either client, a CA of our own
and an environment without the machine's proxy settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from network_helpers import Authority, make_authority
from transport_helpers import PAGE, Call, RawServer, Respond

from multimarkets import AsyncBridgeClient, BridgeClient, Credentials


@pytest.fixture
def serve() -> Iterator[Callable[[Respond], RawServer]]:
    """``serve(respond)`` starts a :class:`RawServer`; all are stopped after the test."""
    servers: list[RawServer] = []

    def start(respond: Respond) -> RawServer:
        server = RawServer(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(params=["async", "sync"])
def call(request: pytest.FixtureRequest, credentials: Credentials) -> Call:
    """``call(base_url, body=None, *, credentials=None, times=1, **client_options)``: ``times`` idempotent calls
    to ``PAGE`` with one new client of either kind; returns the last answer."""

    def with_async(
        base_url: str,
        body: dict[str, Any] | None = None,
        *,
        credentials: Credentials = credentials,
        times: int = 1,
        **options: Any,
    ) -> Any:
        async def run() -> Any:
            async with AsyncBridgeClient(credentials, base_url, rate_limit=None, **options) as client:
                for _ in range(times):
                    answer = await client.call(PAGE, body or {}, idempotent=True)
                return answer

        return asyncio.run(run())

    def with_sync(
        base_url: str,
        body: dict[str, Any] | None = None,
        *,
        credentials: Credentials = credentials,
        times: int = 1,
        **options: Any,
    ) -> Any:
        with BridgeClient(credentials, base_url, rate_limit=None, **options) as client:
            for _ in range(times):
                answer = client.call(PAGE, body or {}, idempotent=True)
            return answer

    return with_async if request.param == "async" else with_sync


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return make_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def no_proxy_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the environment the tests run in (a test that wants one sets it)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
