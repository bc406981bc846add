"""Fixtures of the Manager tests: the contract server (on this loop or in a thread of its own) and clients."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from manager_contract import APP_ID, APP_SECRET, ContractServer, serve

from multimarkets import RateLimit
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox


@pytest.fixture
async def server() -> AsyncIterator[ContractServer]:
    contract = ContractServer()
    runner = await serve(contract)
    yield contract
    await runner.cleanup()


@pytest.fixture
def server_in_thread() -> Iterator[ContractServer]:
    """The contract server in an event loop of its own thread, for the blocking client."""
    contract = ContractServer()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = asyncio.run_coroutine_threadsafe(serve(contract), loop).result(10)
    yield contract
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def manager_options() -> dict[str, Any]:
    return {"rate_limit": RateLimit(1000, 1.0), "strict": True, "trust_env": False}


@pytest.fixture
async def manager(server: ContractServer, manager_options: dict[str, Any]) -> AsyncIterator[AsyncManagerClient]:
    async with AsyncManagerClient(ManagerCredentials(APP_ID, APP_SECRET), server.url, **manager_options) as client:
        yield client


@pytest.fixture
async def sandboxed(sandbox: Sandbox) -> AsyncIterator[AsyncManagerClient]:
    """A Manager client of the embedded sandbox's Manager side."""
    given = sandbox.manager_credentials
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    options = {"rate_limit": RateLimit(1000, 1.0), "strict": True, "trust_env": False}
    async with AsyncManagerClient(credentials, given.base_url, **options) as client:
        yield client
