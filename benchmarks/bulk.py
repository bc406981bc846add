"""Bulk registration, one run, printing ratios:

1. rate: achieved / allowed rate against a sandbox enforcing a scaled window (default 50 per 1 s), and the
   number of 429s it served (must be 0);
2. throughput with the limit off: rows per second of ``register_many`` vs a bare aiohttp loop posting the same
   pre-signed requests with the same concurrency;
3. memory: peak RSS of a separate process streaming a large CSV (default 200,000 rows) through
   ``register_many`` with a journal, the sandbox limit off (must stay under 150 MB).

    python benchmarks/bulk.py [--rate-rows 500] [--throughput-rows 2000] [--rss-rows 200000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from _presigned import post_all, presign

from multimarkets import AsyncBridgeClient, RateLimit
from multimarkets.cli.demo import sustained_rate
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

UNLIMITED = RateLimit(10**9, 1.0)
RSS_LIMIT_MB = 150


def rows(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {"email": f"{prefix}{i}@example.com", "password": "pw", "country": "CN", "register_source": 1}
        for i in range(count)
    ]


async def rate(limit: RateLimit, count: int, concurrency: int) -> None:
    arrivals: list[float] = []

    async def timed(ctx: RequestContext, body: dict[str, Any]) -> Any:
        arrivals.append(time.monotonic())
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    async with Sandbox(rate_limit=limit, handlers={ADD_CUSTOMER: timed}) as sandbox:
        async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=limit) as client:
            report = await client.customers.register_many(rows("rate", count), concurrency=concurrency)
        stats = sandbox.stats()
    allowed = limit.requests / limit.window
    achieved = sustained_rate(arrivals, limit) or 0.0
    print(f"1. rate, {count} rows at {limit.requests} per {limit.window:g} s, concurrency {concurrency}")
    print(f"   achieved {achieved:.2f}/s of {allowed:g}/s allowed = {achieved / allowed:.2%}")
    print(f"   429 served: {stats['rate_limited']}   418: {stats['banned']}   registered: {report.registered}")


async def register_loop(client: AsyncBridgeClient, count: int, concurrency: int) -> float:
    """``client.customers.register`` from ``concurrency`` plain workers: the SDK without the bulk engine."""
    queue = rows("plain", count)

    async def worker() -> None:
        while queue:
            await client.customers.register(**queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def throughput(count: int, concurrency: int) -> None:
    async with Sandbox(rate_limit=UNLIMITED) as sandbox:
        requests = presign(sandbox.credentials, sandbox.base_url, rows("bare", count))
        bare_seconds = await post_all(requests, concurrency)
        async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
            plain_seconds = await register_loop(client, count, concurrency)
            report = await client.customers.register_many(rows("sdk", count), concurrency=concurrency)
    bare_rate, plain_rate, sdk_rate = count / bare_seconds, count / plain_seconds, report.total / report.elapsed
    print(f"2. throughput, limit off, {count} rows, concurrency {concurrency} (sandbox in the same process)")
    print(f"   bare aiohttp, pre-signed:       {bare_rate:8.1f} rows/s")
    print(f"   client.customers.register loop: {plain_rate:8.1f} rows/s   = {plain_rate / bare_rate:.2f}x of bare")
    print(f"   register_many (temp journal):   {sdk_rate:8.1f} rows/s   = {sdk_rate / bare_rate:.2f}x of bare")


CHILD = textwrap.dedent(
    """
    import asyncio, resource, sys, time
    from multimarkets import AsyncBridgeClient, Credentials
    from multimarkets.bulk import read_csv

    async def main(path, journal, concurrency, base_url, api_key, secret_key, company_id):
        credentials = Credentials(api_key, secret_key, company_id)
        async with AsyncBridgeClient(credentials, base_url, rate_limit=None) as client:
            report = await client.customers.register_many(
                read_csv(path), concurrency=int(concurrency), journal=journal
            )
        return report

    started = time.perf_counter()
    report = asyncio.run(main(*sys.argv[1:]))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(report.total, report.registered, time.perf_counter() - started, peak_kb)
    """
)


def memory(count: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "customers.csv"
        with source.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["email", "phone", "password", "country", "register_source"])
            for i in range(count):
                writer.writerow([f"rss{i}@example.com", f"1{i:010d}", "pw", "CN", "H5"])
        with Sandbox.in_thread(rate_limit=UNLIMITED) as sandbox:
            c = sandbox.credentials
            args = [str(source), os.path.join(scratch, "run.db"), str(concurrency), sandbox.base_url]
            args += [c.api_key, c.secret_key, c.company_id]
            output = subprocess.run(
                [sys.executable, "-c", CHILD, *args], check=True, capture_output=True, text=True
            ).stdout
    total, registered, seconds, peak_kb = output.split()
    peak_mb = int(peak_kb) / 1024  # ru_maxrss is in kilobytes on Linux
    verdict = "OK" if peak_mb < RSS_LIMIT_MB else "OVER"
    print(f"3. memory, {total} rows streamed from CSV with a journal, limit off, concurrency {concurrency}")
    print(f"   peak RSS {peak_mb:.1f} MB (limit {RSS_LIMIT_MB} MB: {verdict})")
    print(f"   {registered} registered in {float(seconds):.0f} s", end="")
    print(f" = {int(total) / float(seconds):.0f} rows/s (client in a subprocess, sandbox in a thread of this one)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate-limit", default="50/1s", help="scaled window for the rate check (default 50/1s)")
    parser.add_argument("--rate-rows", type=int, default=500)
    parser.add_argument("--throughput-rows", type=int, default=2000)
    parser.add_argument("--rss-rows", type=int, default=200_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(rate(RateLimit.parse(args.rate_limit), args.rate_rows, args.concurrency))
    asyncio.run(throughput(args.throughput_rows, args.concurrency))
    memory(args.rss_rows, args.concurrency)


if __name__ == "__main__":
    main()
