"""Closing a client while calls wait for a rate-limit slot: every waiting call raises ``ClientClosedError`` at
once (not aiohttp's "Session is closed" once its slot comes) and nothing more is sent. Async and sync, Bridge and
Manager, against the sandbox over loopback.

The window is filled through the store (as another process sharing the key would fill it), not by the test's own
calls: a call may take more than one request (a retry after a timestamp the server refused), and a call that took
two would leave the waiters a slot one window later."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest

from multimarkets import AsyncBridgeClient, BridgeClient, ClientClosedError, RateLimit
from multimarkets.limits import MemoryLimitStore, Verdict
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

TWO_A_MINUTE = RateLimit(2, 60.0)
WAITERS = 4


class WatchedStore(MemoryLimitStore):
    """The default store, telling the test when it first asked a caller to wait for a slot."""

    def __init__(self) -> None:
        super().__init__()
        self.asked_to_wait = threading.Event()
        self.key: str | None = None

    async def fill(self) -> None:
        """Count a whole window of requests answered just now for the key asked about: callers wait a minute."""
        assert self.key is not None
        await self.occupy(self.key, [0.0] * TWO_A_MINUTE.requests)

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        self.key = key
        verdict = await super().acquire(key, slot, limit, lease)
        if verdict.wait > 0:
            self.asked_to_wait.set()
        return verdict


async def _close_while_waiting(
    client: Any, store: WatchedStore, call: Any, sent: Callable[[], int]
) -> list[BaseException | None]:
    """Make a call, fill the window, start ``WAITERS`` more calls, close the client once one of them waits;
    checks that the sandbox received nothing more (``sent``: its request count)."""
    await call()
    await store.fill()
    before = sent()
    errors: list[BaseException | None] = []

    async def waiter() -> None:
        try:
            await call()
        except Exception as exc:
            errors.append(exc)
        else:
            errors.append(None)

    with anyio.fail_after(30):  # without the fix the waiters sleep out the 60 s window
        async with anyio.create_task_group() as tg:
            for _ in range(WAITERS):
                tg.start_soon(waiter)
            await anyio.to_thread.run_sync(store.asked_to_wait.wait)
            await client.aclose()
    assert sent() == before
    return errors


async def test_closing_the_bridge_client_ends_the_calls_waiting_for_a_slot(sandbox: Sandbox) -> None:
    store = WatchedStore()
    client = AsyncBridgeClient(
        sandbox.credentials, sandbox.base_url, rate_limit=TWO_A_MINUTE, limit_store=store, trust_env=False
    )
    errors = await _close_while_waiting(client, store, client.catalog.currencies, lambda: sandbox.stats()["requests"])
    assert [type(e) for e in errors] == [ClientClosedError] * WAITERS


async def test_closing_the_manager_client_ends_the_calls_waiting_for_a_slot(sandbox: Sandbox) -> None:
    store = WatchedStore()
    given = sandbox.manager_credentials
    client = AsyncManagerClient(
        ManagerCredentials(given.app_id, given.app_secret),
        given.base_url,
        rate_limit=TWO_A_MINUTE,
        limit_store=store,
        trust_env=False,
    )
    errors = await _close_while_waiting(
        client, store, client.customers.list, lambda: sandbox.stats()["manager_requests"]
    )
    assert [type(e) for e in errors] == [ClientClosedError] * WAITERS


def test_closing_the_sync_client_ends_the_calls_waiting_for_a_slot(sandbox_in_thread: Sandbox) -> None:
    store = WatchedStore()
    client = BridgeClient(
        sandbox_in_thread.credentials,
        sandbox_in_thread.base_url,
        rate_limit=TWO_A_MINUTE,
        limit_store=store,
        trust_env=False,
    )
    client.catalog.currencies()
    asyncio.run(store.fill())
    before = sandbox_in_thread.stats()["requests"]
    with ThreadPoolExecutor(WAITERS) as pool:
        waiting = [pool.submit(client.catalog.currencies) for _ in range(WAITERS)]
        assert store.asked_to_wait.wait(30)
        client.close()
        errors = [type(f.exception(30)) for f in waiting]
    assert errors == [ClientClosedError] * WAITERS
    assert sandbox_in_thread.stats()["requests"] == before
