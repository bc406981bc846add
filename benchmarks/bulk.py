"""Bulk registration measured side by side, printing ratios:

1. throughput: rows per second against a canned-envelope server in its own process (``_presigned``), with the
   limit off and ``--concurrency`` rows in flight. Every run of a variant takes ``--rows`` fresh rows (600: the
   fixed cost of a ``register_many`` call, about 1-1.5 ms, is then ~0.5 % of it). A round runs each compared
   variant once, in a new random order, between two runs of the floor (floor, A, floor, B, floor...); its rows
   per second and its CPU time per row (the client process's own work, which the machine's load sways about half
   as much as the wall clock) are divided by the geometric mean of the two floor runs beside it, so that a load
   rising or falling over the three runs cancels out:

   - ``floor``: a bare aiohttp loop with as many workers that builds, encodes and signs each request and posts it;
   - ``floor again``: the floor compared with itself like any variant (an A/A test): how far from 1.00 it lands
     is the noise of this run, the margin to grant every other ratio;
   - ``register loop``: ``client.customers.register(...)`` from as many plain workers (the SDK, no bulk engine);
   - ``journal file``: ``register_many(rows, journal=PATH)``;
   - ``journal=None``: ``register_many(rows)``, state in memory.

   Rounds run until ``--seconds`` have passed (at least 5), or ``--rounds`` of them. Each ratio is summed up by
   the interquartile mean of its rounds (``_summary``: the mean of the middle half, of logarithms), with a 95 %
   interval from resampling the rounds, and its min and max.

2. rate: achieved / allowed rate against a sandbox enforcing a scaled window (default 50 per 1 s), and the
   number of 429s it served (must be 0);
3. memory: peak RSS of a separate process streaming a large CSV (default 200,000 rows) through
   ``register_many`` with a journal file, against the canned server (must stay under 150 MB). The process
   imports what a user's would (its credentials come from the environment, not from the sandbox) and reads its
   own peak (``VmHWM``): ``ru_maxrss`` would start from this process's size, as the child starts as its copy.

    python benchmarks/bulk.py [--seconds 45 | --rounds N] [--rows 600] [--concurrency 16]
                               [--rate-rows 500] [--rss-rows 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import itertools
import math
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from _presigned import canned_server, post, signed_request
from _summary import line

from multimarkets import AsyncBridgeClient, Credentials, RateLimit, RsaSha1Signer
from multimarkets.cli.demo import sustained_rate
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS
from multimarkets.sandbox.keys import generate_secret_key

COMPARED = ("floor again", "register loop", "journal file", "journal=None")
RSS_LIMIT_MB = 150
MIN_ROUNDS = 5
_serial = itertools.count()


def rows(count: int) -> list[dict[str, Any]]:
    """``count`` fresh rows (distinct e-mails across the whole benchmark)."""
    return [
        {"email": f"user{next(_serial)}@example.com", "password": "pw", "country": "CN", "register_source": 1}
        for _ in range(count)
    ]


async def workers(
    concurrency: int, queue: list[dict[str, Any]], step: Callable[[dict[str, Any]], Awaitable[Any]]
) -> None:
    async def worker() -> None:
        while queue:
            await step(queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def throughput(
    rounds: int | None, seconds: float, count: int, concurrency: int, scratch: Path
) -> list[dict[str, float]]:
    credentials = Credentials("bench-key", generate_secret_key(), "1")
    signer = RsaSha1Signer(credentials.secret_key)
    results: list[dict[str, float]] = []
    with canned_server() as base_url:
        async with (
            aiohttp.ClientSession() as session,
            AsyncBridgeClient(credentials, base_url, rate_limit=None) as client,
        ):
            journals = (scratch / f"run{i}.db" for i in itertools.count())

            def floor(batch: list[dict[str, Any]]) -> Awaitable[None]:
                return workers(
                    concurrency, batch, lambda row: post(session, signed_request(credentials, signer, base_url, row))
                )

            runs: dict[str, Callable[[list[dict[str, Any]]], Awaitable[Any]]] = {
                "floor": floor,
                "floor again": floor,
                "register loop": lambda batch: workers(
                    concurrency, batch, lambda row: client.customers.register(**row)
                ),
                "journal file": lambda batch: client.customers.register_many(
                    batch, concurrency=concurrency, journal=next(journals)
                ),
                "journal=None": lambda batch: client.customers.register_many(batch, concurrency=concurrency),
            }

            async def timed(variant: str) -> tuple[float, float]:
                """The wall and CPU seconds of one run of ``variant`` on ``count`` fresh rows."""
                batch = rows(count)
                # Each run starts from a collected heap: a full collection, which the garbage of the runs before
                # could trigger (about 20 ms, once per ~10,000 rows), would land in one run's timing at random.
                gc.collect()
                started, used = time.perf_counter(), time.process_time()
                await runs[variant](batch)
                return time.perf_counter() - started, time.process_time() - used

            for variant in runs:  # warm up: connections, caches, first imports
                await runs[variant](rows(concurrency * 4))
            ends, number = time.perf_counter() + seconds, 0
            while number < rounds if rounds else number < MIN_ROUNDS or time.perf_counter() < ends:
                number += 1
                floors, result = [await timed("floor")], {}
                for variant in random.sample(COMPARED, len(COMPARED)):
                    wall, cpu = await timed(variant)
                    floors.append(await timed("floor"))
                    # Against the geometric mean of the floor runs just before and just after: a load that
                    # rises or falls steadily over the three runs cancels out.
                    (wall_before, cpu_before), (wall_after, cpu_after) = floors[-2:]
                    result[f"{variant} rows/s"] = math.sqrt(wall_before * wall_after) / wall
                    result[f"{variant} CPU/row"] = math.sqrt(cpu_before * cpu_after) / cpu
                results.append(result)
                floor_rate = count * len(floors) / sum(wall for wall, _ in floors)
                floor_cpu = sum(cpu for _, cpu in floors) / (count * len(floors))
                cells = "  ".join(
                    f"{variant} {result[f'{variant} rows/s']:4.2f} {result[f'{variant} CPU/row']:4.2f}"
                    for variant in COMPARED
                )
                print(f"   round {number:2}: floor {floor_rate:5.0f}/s {floor_cpu * 1e6:4.0f}us | {cells}", flush=True)
    return results


async def rate(limit: RateLimit, count: int, concurrency: int) -> None:
    arrivals: list[float] = []

    async def timed(ctx: RequestContext, body: dict[str, Any]) -> Any:
        arrivals.append(time.monotonic())
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    async with Sandbox(rate_limit=limit, handlers={ADD_CUSTOMER: timed}) as sandbox:
        async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=limit) as client:
            report = await client.customers.register_many(rows(count), concurrency=concurrency)
        stats = sandbox.stats()
    allowed = limit.requests / limit.window
    achieved = sustained_rate(arrivals, limit) or 0.0
    print(f"2. rate, {count} rows at {limit.requests} per {limit.window:g} s, concurrency {concurrency}")
    print(f"   achieved {achieved:.2f}/s of {allowed:g}/s allowed = {achieved / allowed:.2%}")
    print(f"   429 served: {stats['rate_limited']}   418: {stats['banned']}   registered: {report.registered}")


CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from multimarkets import AsyncBridgeClient, Credentials
    from multimarkets.bulk import read_csv

    async def main(path, journal, concurrency, base_url):
        async with AsyncBridgeClient(Credentials.from_env(), base_url, rate_limit=None) as client:
            return await client.customers.register_many(read_csv(path), concurrency=int(concurrency), journal=journal)

    started = time.perf_counter()
    report = asyncio.run(main(*sys.argv[1:]))
    with open("/proc/self/status") as status:
        peak_kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(report.total, report.registered, time.perf_counter() - started, peak_kb)
    """
)


def memory(count: int, concurrency: int, scratch: Path) -> None:
    source = scratch / "customers.csv"
    with source.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "phone", "password", "country", "register_source"])
        for i in range(count):
            writer.writerow([f"rss{i}@example.com", f"1{i:010d}", "pw", "CN", "H5"])
    with canned_server() as base_url:
        args = [str(source), str(scratch / "rss.db"), str(concurrency), base_url]
        env = os.environ | {
            "MULTIMARKETS_API_KEY": "bench-key",
            "MULTIMARKETS_SECRET_KEY": generate_secret_key(),
            "MULTIMARKETS_COMPANY_ID": "1",
        }
        command = [sys.executable, "-c", CHILD, *args]
        output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    total, registered, seconds, peak_kb = output.split()
    peak_mb = int(peak_kb) / 1024
    verdict = "OK" if peak_mb < RSS_LIMIT_MB else "OVER"
    print(f"3. memory, {total} rows streamed from CSV with a journal file, limit off, concurrency {concurrency}")
    print(f"   peak RSS {peak_mb:.1f} MB (limit {RSS_LIMIT_MB} MB: {verdict})")
    print(f"   {registered} registered in {float(seconds):.0f} s = {int(total) / float(seconds):.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, help="throughput rounds (default: as many as fit in --seconds)")
    parser.add_argument("--seconds", type=float, default=45, help="throughput time without --rounds (default 45)")
    parser.add_argument("--rows", type=int, default=600, help="rows per variant and round (default 600)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate-limit", default="50/1s", help="scaled window for the rate check (default 50/1s)")
    parser.add_argument("--rate-rows", type=int, default=500)
    parser.add_argument("--rss-rows", type=int, default=200_000, help="rows of the memory check (0: skip it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        print(f"1. throughput, limit off, {args.rows} rows per variant and round, concurrency {args.concurrency}")
        results = asyncio.run(throughput(args.rounds, args.seconds, args.rows, args.concurrency, Path(scratch)))
        print(
            f"   {len(results)} rounds; each variant between two floor runs, divided by their geometric mean (>1:"
            " faster)\n   rows/s: wall clock; CPU/row: the client process's own work; 'floor again': the floor"
            " against itself, this run's noise"
        )
        print("   load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"   {'':24} interquartile mean of the {len(results)} rounds, its 95% interval, min and max")
        for measure in ("rows/s", "CPU/row"):
            for variant in COMPARED:
                print("   " + line(f"{variant} {measure}", [result[f"{variant} {measure}"] for result in results]))
        asyncio.run(rate(RateLimit.parse(args.rate_limit), args.rate_rows, args.concurrency))
        if args.rss_rows:
            memory(args.rss_rows, args.concurrency, Path(scratch))


if __name__ == "__main__":
    main()
