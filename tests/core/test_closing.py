"""Closing a client while calls wait for a rate-limit slot: every waiting call raises ``ClientClosedError`` at
once (not aiohttp's "Session is closed" once its slot comes) and nothing more is sent. Async and sync, Bridge and
Manager, against the sandbox over loopback."""

from __future__ import annotations

import threading
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

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        verdict = await super().acquire(key, slot, limit, lease)
        if verdict.wait > 0:
            self.asked_to_wait.set()
        return verdict


async def _close_while_waiting(client: Any, store: WatchedStore, call: Any) -> list[BaseException | None]:
    """Use up the client's two slots, start ``WAITERS`` more calls, close the client once one of them waits."""
    await call()
    await call()
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
    return errors


async def test_closing_the_bridge_client_ends_the_calls_waiting_for_a_slot(sandbox: Sandbox) -> None:
    store = WatchedStore()
    client = AsyncBridgeClient(
        sandbox.credentials, sandbox.base_url, rate_limit=TWO_A_MINUTE, limit_store=store, trust_env=False
    )
    errors = await _close_while_waiting(client, store, client.catalog.currencies)
    assert [type(e) for e in errors] == [ClientClosedError] * WAITERS
    assert sandbox.stats()["requests"] == 2


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
    errors = await _close_while_waiting(client, store, client.customers.list)
    assert [type(e) for e in errors] == [ClientClosedError] * WAITERS


def test_closing_the_sync_client_ends_the_calls_waiting_for_a_slot(sandbox_in_thread: Sandbox) -> None:
    sandbox_in_thread.reset()
    store = WatchedStore()
    client = BridgeClient(
        sandbox_in_thread.credentials,
        sandbox_in_thread.base_url,
        rate_limit=TWO_A_MINUTE,
        limit_store=store,
        trust_env=False,
    )
    client.catalog.currencies()
    client.catalog.currencies()
    with ThreadPoolExecutor(WAITERS) as pool:
        waiting = [pool.submit(client.catalog.currencies) for _ in range(WAITERS)]
        assert store.asked_to_wait.wait(30)
        client.close()
        errors = [type(f.exception(30)) for f in waiting]
    assert errors == [ClientClosedError] * WAITERS
    assert sandbox_in_thread.stats()["requests"] == 2
