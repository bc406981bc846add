"""Fixtures every test directory shares: the anyio backend, and a sandbox with a client bound to it.

A directory or module that needs other options overrides ``sandbox_options`` or ``client_options``."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from multimarkets import AsyncBridgeClient, Credentials, RateLimit
from multimarkets.sandbox import Sandbox

ROOMY = RateLimit(1000, 1.0)
"""A sandbox limit no test reaches unless it means to."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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
