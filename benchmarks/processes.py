"""Many processes, one API key: the aggregate rate as a fraction of the allowed one, and the 429s, per store.

N = 1, 2, 4, 8 worker processes (``tests/limits/worker.py``, 4 calls in flight each) share one key against the
sandbox at a scaled limit (default 20 per 2 s) for a fixed time, through each limit store: ``memory`` (every
process on its own: the problem the shared stores solve), ``sqlite`` and ``redis``. The rate is measured from the
sandbox's arrivals over sliding windows (``multimarkets.cli.demo.sustained_rate``).

    python benchmarks/processes.py [--limit 20/2s] [--seconds 10] [--processes 1,2,4,8] [--redis-url URL]

Without ``--redis-url`` a ``redis-server`` is started on a free loopback port when one is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from multimarkets import RateLimit
from multimarkets.cli.demo import sustained_rate
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

WORKER = Path(__file__).resolve().parent.parent / "tests" / "limits" / "worker.py"
PAGE = "customer.admin.WhiteCustomerAdminApiService.page"


@contextlib.contextmanager
def redis_server(url: str | None) -> Iterator[str | None]:
    """``url``, or a redis-server of our own on a free loopback port, or None when there is none."""
    binary = shutil.which("redis-server")
    if url is not None or binary is None:
        yield url
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait()


async def run(store: str, processes: int, limit: RateLimit, seconds: float) -> tuple[float, int, int]:
    """One run: (achieved / allowed, 429s served, 418s served)."""
    arrivals: list[float] = []

    async def timed(ctx: RequestContext, body: dict[str, Any]) -> Any:
        arrivals.append(time.monotonic())
        return await HANDLERS[PAGE](ctx, body)

    async with Sandbox(rate_limit=limit, ban="1s", handlers={PAGE: timed}) as sb:
        credentials = {
            "api_key": sb.credentials.api_key,
            "secret_key": sb.credentials.secret_key,
            "company_id": sb.credentials.company_id,
        }
        env = {**os.environ, "MM_CREDENTIALS": json.dumps(credentials)}
        spec = f"{limit.requests}/{limit.window:g}s"
        command = [sys.executable, str(WORKER), sb.base_url, store, spec, "--seconds", str(seconds), "--wait-out-ban"]
        workers = [
            await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL)
            for _ in range(processes)
        ]
        for worker in workers:
            await worker.wait()
        stats = sb.stats()
    achieved = sustained_rate(arrivals, limit) or 0.0
    return achieved / (limit.requests / limit.window), stats["rate_limited"], stats["banned"]


async def main(args: argparse.Namespace) -> None:
    limit = RateLimit.parse(args.limit)
    counts = [int(n) for n in args.processes.split(",")]
    with tempfile.TemporaryDirectory() as tmp, redis_server(args.redis_url) as redis_url:
        stores = {"memory": "memory", "sqlite": f"sqlite:///{tmp}/limits.db"}
        if redis_url is not None:
            stores["redis"] = redis_url
        print(f"{limit.requests} per {limit.window:g} s shared by N processes for {args.seconds:g} s each")
        print(f"{'store':<8} {'N':>2}  {'achieved/allowed':>16}  {'429':>5}  {'418':>5}")
        for name, url in stores.items():
            for n in counts:
                ratio, limited, banned = await run(url, n, limit, args.seconds)
                print(f"{name:<8} {n:>2}  {ratio:>16.3f}  {limited:>5}  {banned:>5}", flush=True)
        if redis_url is None:
            print("redis: skipped (no redis-server installed and no --redis-url)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", default="20/2s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", default="1,2,4,8")
    parser.add_argument("--redis-url", default=None)
    asyncio.run(main(parser.parse_args()))
