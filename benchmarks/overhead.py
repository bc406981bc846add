"""What the SDK costs per call: median latency of ``client.customers.register`` (async and sync) against a bare
aiohttp POST of an equivalent pre-signed request, side by side on the same in-process sandbox.

    python benchmarks/overhead.py [--calls 300]

The SDK's extra work per call: building and validating the model, MD5 of the password, signing (RSA), a fresh
trace, the limiter, envelope parsing and typed errors. The sandbox runs in its own thread, so the three clients
see the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from _presigned import post, presign

from multimarkets import AsyncBridgeClient, BridgeClient, RateLimit
from multimarkets.sandbox import Sandbox

UNLIMITED = RateLimit(10**9, 1.0)


def rows(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {"email": f"{prefix}{i}@example.com", "password": "pw", "country": "CN", "register_source": 1}
        for i in range(count)
    ]


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    latencies = []
    for call in calls:
        started = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - started)
    return latencies


async def bare(sandbox: Sandbox, count: int) -> list[float]:
    requests = presign(sandbox.credentials, sandbox.base_url, rows("bare", count))
    async with aiohttp.ClientSession() as session:
        return await timed([lambda r=r: post(session, r) for r in requests])


async def sdk_async(sandbox: Sandbox, count: int) -> list[float]:
    async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        return await timed([lambda r=r: client.customers.register(**r) for r in rows("async", count)])


def sdk_sync(sandbox: Sandbox, count: int) -> list[float]:
    latencies = []
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        for row in rows("sync", count):
            started = time.perf_counter()
            client.customers.register(**row)
            latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per client (default 300)")
    count = parser.parse_args().calls
    with Sandbox.in_thread(rate_limit=UNLIMITED) as sandbox:
        # each client's first call (connection set-up) is left out
        results = {
            "bare aiohttp (pre-signed)": asyncio.run(bare(sandbox, count + 1))[1:],
            "client.customers.register (async)": asyncio.run(sdk_async(sandbox, count + 1))[1:],
            "client.customers.register (sync)": sdk_sync(sandbox, count + 1)[1:],
        }
    floor = statistics.median(results["bare aiohttp (pre-signed)"])
    async_median = statistics.median(results["client.customers.register (async)"])
    print(f"{count} sequential registrations each, sandbox in a thread on loopback\n")
    print(f"{'':36} {'median':>9} {'p90':>9} {'vs bare':>8}")
    for name, latencies in results.items():
        median = statistics.median(latencies)
        p90 = statistics.quantiles(latencies, n=10)[-1]
        print(f"{name:36} {median * 1000:7.2f}ms {p90 * 1000:7.2f}ms {median / floor:7.2f}x")
    sync_median = statistics.median(results["client.customers.register (sync)"])
    print(f"\nsync / async: {sync_median / async_median:.2f}x")
    print(f"SDK overhead per call (async): {(async_median - floor) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
