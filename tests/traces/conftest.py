"""Fixtures of the trace tests: a sandbox whose Bridge handlers note each trace they serve (``handled``), and
both clients bound to it, recording their requests (``wire``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from trace_calls import Handled, Wire

from multimarkets import AsyncBridgeClient, RateLimit
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox
from multimarkets.sandbox.handlers import HANDLERS

ROOMY = RateLimit(1000, 1.0)
FAULT_SEED = 3
"""With this seed, ``error5xx=0.5`` fails the first attempt of the call under test (checked by the test)."""


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def handled() -> Handled:
    return Handled()


@pytest.fixture
def sandbox_options(handled: Handled) -> dict[str, Any]:
    return {"rate_limit": ROOMY, "seed": FAULT_SEED, "handlers": handled.wrap(HANDLERS)}


@pytest.fixture
def client_options(wire: Wire) -> dict[str, Any]:
    return {"rate_limit": None, "strict": True, "trace_configs": [wire.config], "max_retries": 5}


@pytest.fixture
async def manager(sandbox: Sandbox, client_options: dict[str, Any]) -> AsyncIterator[AsyncManagerClient]:
    given = sandbox.manager_credentials
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    async with AsyncManagerClient(credentials, given.base_url, trust_env=False, **client_options) as client:
        yield client


@pytest.fixture
def clients(client: AsyncBridgeClient, manager: AsyncManagerClient) -> dict[str, Any]:
    return {"bridge": client, "manager": manager}
