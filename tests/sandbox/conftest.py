"""Fixtures for the sandbox tests: raw signed requests over loopback, without the SDK client."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import pytest
from manager_wire import ManagerRaw, Reply

from multimarkets.config import Credentials
from multimarkets.sandbox import Sandbox
from multimarkets.signing import RsaSha1Signer

ADD_CUSTOMER = "customer.admin.WhiteCustomerAdminApiService.addCustomer"
PWD = "dc483e80a7a0bd9ef71d8cf973673924"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RawClient:
    """Builds the documented headers itself and signs with ``multimarkets.signing`` only."""

    def __init__(self, session: aiohttp.ClientSession, sandbox: Sandbox, credentials: Credentials | None = None):
        self.session = session
        self.sandbox = sandbox
        self.credentials = credentials or sandbox.credentials
        self._signer = RsaSha1Signer(self.credentials.secret_key)
        self._traces = 0

    def with_credentials(self, credentials: Credentials) -> RawClient:
        return RawClient(self.session, self.sandbox, credentials)

    def headers(
        self,
        body: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        signer: RsaSha1Signer | None = None,
        **overrides: str | None,
    ) -> dict[str, str]:
        self._traces += 1
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        headers: dict[str, str | None] = {
            "Content-Type": "application/json",
            "apiKey": self.credentials.api_key,
            "companyId": self.credentials.company_id,
            "trace": f"t-test-{self._traces}",
            "timestamp": str(ts),
            "recvWindow": "5000",
            "version": "0.0.1",
            "signature": (signer or self._signer).sign(body, ts),
        }
        headers.update(overrides)
        return {k: v for k, v in headers.items() if v is not None}

    async def call(
        self,
        biz_type: str,
        body: Mapping[str, Any] | None = None,
        *,
        raw_body: bytes | None = None,
        timeout: float | None = None,
        **header_options: Any,
    ) -> Reply:
        body = dict(body or {})
        headers = self.headers(body, **header_options)
        data = raw_body if raw_body is not None else json.dumps(body).encode()
        client_timeout = aiohttp.ClientTimeout(total=timeout) if timeout else None
        async with self.session.post(
            f"{self.sandbox.base_url}/global/{biz_type}", data=data, headers=headers, timeout=client_timeout
        ) as response:
            return Reply(response.status, response.headers, await response.read())

    async def register(self, **fields: Any) -> Reply:
        body = {"pwd": PWD, "country": "CN", "registerSource": 1, "customerGroupId": 1, **fields}
        return await self.call(ADD_CUSTOMER, body)

    async def admin(self, method: str, path: str, **kwargs: Any) -> Reply:
        async with self.session.request(method, f"{self.sandbox.url}/__sandbox__/{path}", **kwargs) as response:
            return Reply(response.status, response.headers, await response.read())


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def start_sandbox(session: aiohttp.ClientSession) -> AsyncIterator[Callable[..., Awaitable[RawClient]]]:
    """``raw = await start_sandbox(**Sandbox options)``: a running sandbox (``raw.sandbox``) and a raw client."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**options: Any) -> RawClient:
            sandbox = await stack.enter_async_context(Sandbox(**options))
            return RawClient(session, sandbox)

        yield start


@pytest.fixture
def connect(session: aiohttp.ClientSession) -> Callable[[Sandbox], RawClient]:
    """A raw client for a sandbox the test runs itself."""
    return lambda sandbox: RawClient(session, sandbox)


@pytest.fixture
async def start_manager(
    start_sandbox: Callable[..., Awaitable[RawClient]], session: aiohttp.ClientSession
) -> Callable[..., Awaitable[ManagerRaw]]:
    """``mgr = await start_manager(**Sandbox options)``: a raw Manager client (not logged in) of a running
    sandbox (``mgr.sandbox``)."""

    async def start(**options: Any) -> ManagerRaw:
        sandbox = (await start_sandbox(**options)).sandbox
        raw = ManagerRaw(session, sandbox.manager_base_url, sandbox.manager_credentials)
        raw.sandbox = sandbox
        return raw

    return start
