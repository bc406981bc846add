"""Fixtures every test directory shares: the anyio backend, and a sandbox with a client bound to it.

A directory or module that needs other options overrides ``sandbox_options`` or ``client_options``."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from redis_process import RedisProcess, run_redis

from multimarkets import AsyncBridgeClient, Credentials, RateLimit, _clock
from multimarkets.sandbox import Sandbox

ROOMY = RateLimit(1000, 1.0)
"""A sandbox limit no test reaches unless it means to."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _forget_server_clocks() -> Iterator[None]:
    """After each test, forget the server clocks the clients learned. They are process-wide per base URL, and
    the next test's server may get the same loopback port: a test that skewed its sandbox's clock would
    otherwise cost the first call of that later test a refused timestamp and a retry (an extra request and
    rate-limit slot that tests counting either do not expect)."""
    yield
    with _clock._clocks_lock:
        _clock._clocks.clear()


@pytest.fixture
def binance_spot() -> dict[str, Any]:
    """``accounts.add`` keywords of the Binance spot account named "main" that trading tests use (the sandbox
    takes any key); ``TradingAccount("binance", "main", customer_no)`` then trades through it."""
    return {
        "exchange_code": "binance",
        "account_type": "spot",
        "account_name": "main",
        "api_key": "binance-api-key-0001",
        "secret_key": "binance-secret-0001",
    }


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    """``Sandbox(...)`` options of the ``sandbox`` fixture."""
    return {"rate_limit": ROOMY}


@pytest.fixture
async def sandbox(sandbox_options: dict[str, Any]) -> AsyncIterator[Sandbox]:
    """A sandbox on the test's event loop."""
    async with Sandbox(**sandbox_options) as sb:
        yield sb


@pytest.fixture
def client_options() -> dict[str, Any]:
    """``AsyncBridgeClient(...)`` options of the ``client`` fixture: no client-side limit by default, and strict
    reading, so that an answer of the sandbox that deviates from the docs fails the test."""
    return {"rate_limit": None, "strict": True}


@pytest.fixture
async def client(sandbox: Sandbox, client_options: dict[str, Any]) -> AsyncIterator[AsyncBridgeClient]:
    """An async client bound to ``sandbox``."""
    async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, **client_options) as c:
        yield c


@pytest.fixture(scope="module")
def sandbox_in_thread() -> Iterator[Sandbox]:
    """One sandbox in a background thread per test module, for sync tests (``reset()`` it where needed)."""
    with Sandbox.in_thread(rate_limit=ROOMY) as sb:
        yield sb


@pytest.fixture(scope="session")
def credentials() -> Credentials:
    """Credentials with a fresh RSA key, for servers on loopback that do not check signatures."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return Credentials("raw-api-key", base64.b64encode(der).decode(), "7")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A real ``redis-server`` on a free loopback port for the whole session; its URL."""
    with run_redis() as server:
        yield server.url


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    """A ``redis-server`` of this test alone, with a password, for tests that pause or kill it."""
    with run_redis(password="s3cret-redis-pw") as server:
        yield server


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis server, emptied for this test."""
    with socket.create_connection(("127.0.0.1", int(redis_server.rsplit(":", 1)[1].split("/")[0]))) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        assert conn.recv(16).startswith(b"+OK")
    return redis_server


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of each shared store backend: a SQLite file, or the session's real Redis server (emptied)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url
