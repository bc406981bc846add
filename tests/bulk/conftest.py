"""Fixtures of the bulk tests: an in-process sandbox with a fast limit, and a client without a limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bulk_helpers import FAST

from multimarkets import AsyncBridgeClient
from multimarkets.sandbox import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(rate_limit=FAST) as sb:
        yield sb


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[AsyncBridgeClient]:
    async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None, strict=True) as c:
        yield c
