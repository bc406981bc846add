"""One worker process sharing an API key with others through a limit store (run by the multi-process tests
and by ``benchmarks/processes.py``). Prints one JSON line: how many calls succeeded, met a 429, met a ban.

    MM_CREDENTIALS='{"api_key": ..., "secret_key": ..., "company_id": ...}' \\
    python tests/limits/worker.py BASE_URL STORE LIMIT [--calls N | --seconds S] [--until-banned] [--wait-out-ban]
    [--wait-for-go]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

from multimarkets import AsyncBridgeClient, Credentials, IPBannedError, RateLimit, RateLimitError

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"


async def work(args: argparse.Namespace) -> dict[str, int]:
    tally = {"ok": 0, "429": 0, "418": 0}
    credentials = Credentials(**json.loads(os.environ["MM_CREDENTIALS"]))
    limit = None if args.limit == "none" else RateLimit.parse(args.limit)
    deadline = time.monotonic() + args.seconds if args.seconds else None
    remaining = [args.calls]

    async def attempt(client: AsyncBridgeClient) -> bool:
        """One call, tallied; False once the worker is to stop."""
        remaining[0] -= 1
        try:
            await client.call(PAGE, {}, idempotent=True)
            tally["ok"] += 1
        except RateLimitError:
            tally["429"] += 1
        except IPBannedError as exc:
            tally["418"] += 1
            if args.until_banned:
                return False
            if args.wait_out_ban and exc.banned_until is not None:
                remaining[0] += 1
                await asyncio.sleep(max(0.0, exc.banned_until - time.monotonic()))
        return True

    async def one(client: AsyncBridgeClient) -> None:
        while (remaining[0] > 0) if deadline is None else (time.monotonic() < deadline):
            if not await attempt(client):
                return

    async with AsyncBridgeClient(
        credentials, args.base_url, rate_limit=limit, limit_store=args.store, max_retries=0, timeout=10.0
    ) as client:
        if args.wait_for_go:
            # The first call comes before "ready": it opens the connections and the limit store, so that the
            # calls after "go" follow at once, however long this process took to get there.
            await attempt(client)
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
        await asyncio.gather(*(one(client) for _ in range(args.concurrency)))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("store")
    parser.add_argument("limit", help="e.g. 20/2s, or none")
    parser.add_argument("--calls", type=int, default=10**9)
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--until-banned", action="store_true", help="stop at the first 418")
    parser.add_argument("--wait-out-ban", action="store_true", help="after a 418, wait for the ban to end and go on")
    parser.add_argument("--wait-for-go", action="store_true", help='one call, then "ready"; go on at a line on stdin')
    args = parser.parse_args()
    print(json.dumps(asyncio.run(work(args))), flush=True)


if __name__ == "__main__":
    main()
