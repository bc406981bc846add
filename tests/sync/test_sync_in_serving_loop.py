"""The sync client called on the very event loop that serves its target (an ``async with Sandbox()``): the wait
would block the server, so the call raises SyncUsageError at once instead of timing out; everywhere else inside a
running loop (Jupyter) it works as before."""

from __future__ import annotations

import asyncio

import pytest

from multimarkets import APIConnectionError, BridgeClient, RateLimit, SyncUsageError
from multimarkets.sandbox import Sandbox

ROOMY = RateLimit(1000, 1.0)


def test_a_sync_call_on_the_loop_serving_its_sandbox_raises_at_once(sandbox_in_thread: Sandbox) -> None:
    async def main() -> None:
        async with Sandbox(rate_limit=ROOMY) as sandbox:
            shouted = "HTTP://" + sandbox.base_url.removeprefix("http://")  # the same origin
            # Before, each call waited out its timeout (the server could not answer) and raised APITimeoutError.
            with BridgeClient(sandbox.credentials, shouted, rate_limit=None, max_retries=0, timeout=5) as client:
                with pytest.raises(SyncUsageError, match=r"Sandbox\.in_thread"):
                    client.catalog.currencies()
                with pytest.raises(SyncUsageError, match="async client"):
                    client.customers.iterate()
                client.with_options(timeout=3).close()  # entering and closing send nothing: allowed
                # From another thread the loop stays free to serve, and the call is answered.
                assert await asyncio.to_thread(client.catalog.currencies)
            url, credentials = sandbox.base_url, sandbox.credentials
            # Inside a running loop, a sandbox served from elsewhere is reached as before (the notebook case).
            with BridgeClient(sandbox_in_thread.credentials, sandbox_in_thread.base_url, rate_limit=None) as other:
                assert other.catalog.currencies()
        with BridgeClient(credentials, url, rate_limit=None, max_retries=0) as gone, pytest.raises(APIConnectionError):
            gone.catalog.currencies()  # served no more: an ordinary refused connection

    asyncio.run(main())
