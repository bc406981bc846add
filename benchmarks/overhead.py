"""What the SDK costs per call, measured against a floor that does the work every correct client must do.

    python benchmarks/overhead.py [--rounds 10] [--calls 200]

A canned-envelope server runs in its own process (``_presigned.canned_server``), so the server shares no GIL
with the client. Five variants take turns call by call, in a fresh random order for every turn:

- ``floor``: a bare aiohttp loop that builds, encodes and signs each registration, posts it and checks the code;
- ``floor again``: the same floor under another name (an A/A test): how far ``again/floor`` lands from 1.00 is
  the noise of the run, the margin to grant the other ratios;
- ``async register``: ``await client.customers.register(...)`` (model, validation, signing, envelope, types);
- ``raw call``: ``await client.call(ADD_CUSTOMER, body)`` with the body built as the floor builds it;
- ``sync register``: ``BridgeClient.customers.register(...)`` from a thread with no running event loop. Beyond
  the async call it pays for entering and leaving the event loop on every call (about 40 us measured), which no
  sync design avoids and ``async register``, timed inside a running loop, does not include.

Each round prints the median latency of every variant and the ratios; the summary gives each ratio's
interquartile mean over the rounds (``_summary``: the mean of the middle half) with a 95 % interval from
resampling the rounds, and its min and max. On Linux it ends with the context switches of the whole
client process per async and per sync call: the hand-off between threads that only the sync client pays, counted
rather than timed, so the count does not depend on the load of the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _driven import driven_loop
from _presigned import canned_server, post, signed_request
from _summary import line

from multimarkets import AsyncBridgeClient, BridgeClient, Credentials, RsaSha1Signer
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox.keys import generate_secret_key

VARIANTS = ("floor", "floor again", "async register", "raw call", "sync register")
_serial = itertools.count()


def row() -> dict[str, Any]:
    return {"email": f"user{next(_serial)}@example.com", "password": "pw", "country": "CN", "register_source": 1}


def raw_body(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "pwd": hashlib.md5(fields["password"].encode()).hexdigest(),
        "country": fields["country"],
        "registerSource": fields["register_source"],
        "customerGroupId": 1,
        "email": fields["email"],
    }


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


def run(rounds: int, calls: int) -> list[dict[str, float]]:
    credentials = Credentials("bench-key", generate_secret_key(), "1")
    signer = RsaSha1Signer(credentials.secret_key)
    with canned_server() as base_url:
        client = AsyncBridgeClient(credentials, base_url, rate_limit=None)
        sync_client = BridgeClient(credentials, base_url, rate_limit=None)
        with driven_loop(client, sync_client) as (loop, session):

            def floor() -> float:
                return loop.run_until_complete(
                    timed(lambda: post(session, signed_request(credentials, signer, base_url, row())))
                )

            runs: dict[str, Callable[[], float]] = {
                "floor": floor,
                "floor again": floor,
                "async register": lambda: loop.run_until_complete(timed(lambda: client.customers.register(**row()))),
                "raw call": lambda: loop.run_until_complete(
                    timed(lambda: client.call(ADD_CUSTOMER, raw_body(row()), idempotent=True))
                ),
                "sync register": lambda: _timed_sync(lambda: sync_client.customers.register(**row())),
            }
            for variant in VARIANTS * 20:  # warm up: connections, caches
                runs[variant]()
            results = []
            for number in range(1, rounds + 1):
                latencies: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
                for _ in range(calls):
                    for variant in random.sample(VARIANTS, len(VARIANTS)):
                        latencies[variant].append(runs[variant]())
                medians = {variant: statistics.median(values) for variant, values in latencies.items()}
                results.append(medians)
                report(number, medians)
            switches = {
                variant: switches_per_call(runs[variant], calls) for variant in ("async register", "sync register")
            }
    if None not in switches.values():
        print(
            "context switches per call (voluntary, all threads): "
            + ", ".join(f"{v} {n:.2f}" for v, n in switches.items())
        )
    return results


def switches_per_call(run: Callable[[], float], calls: int) -> float | None:
    """Voluntary context switches of this process's threads per call of ``run`` (None without ``/proc``)."""
    before = _voluntary_switches()
    for _ in range(calls):
        run()
    after = _voluntary_switches()
    return None if before is None or after is None else (after - before) / calls


def _voluntary_switches() -> int | None:
    try:
        threads = os.listdir("/proc/self/task")
    except OSError:
        return None
    total = 0
    for thread in threads:
        try:
            with open(f"/proc/self/task/{thread}/status") as status:
                total += sum(int(line.split()[1]) for line in status if line.startswith("voluntary_ctxt_switches"))
        except FileNotFoundError:  # the thread has just ended
            continue
    return total


def _timed_sync(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def ratios(medians: dict[str, float]) -> dict[str, float]:
    return {
        "again/floor": medians["floor again"] / medians["floor"],
        "async/floor": medians["async register"] / medians["floor"],
        "call/floor": medians["raw call"] / medians["floor"],
        "sync-async us": (medians["sync register"] - medians["async register"]) * 1e6,
    }


def report(number: int, medians: dict[str, float]) -> None:
    cells = "  ".join(f"{variant} {value * 1e6:6.0f}us" for variant, value in medians.items())
    shown = "  ".join(f"{name} {value:6.2f}" for name, value in ratios(medians).items())
    print(f"round {number}: {cells}  |  {shown}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds (default 10)")
    parser.add_argument("--calls", type=int, default=200, help="calls per variant and round (default 200)")
    args = parser.parse_args()
    results = [ratios(medians) for medians in run(args.rounds, args.calls)]
    print(f"\n{args.rounds} rounds of {args.calls} calls per variant, interleaved in random order")
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"{'':14} interquartile mean of the {args.rounds} rounds, its 95% interval, min and max")
    for name in results[0]:
        print(line(name, [result[name] for result in results], ratio=name.endswith("/floor"), width=14))


if __name__ == "__main__":
    main()
