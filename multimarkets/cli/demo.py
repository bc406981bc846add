"""``multimarkets demo``: the bulk registration job end to end on an embedded sandbox, in seconds.

The sandbox enforces a scaled-down window (50 requests per second instead of 100 per minute) and injects a
few faults; a few hundred generated customers, some duplicated and some invalid on purpose, go through
``client.customers.register_many``. The summary shows every outcome, the achieved rate against the allowed
one, and how many 429s the sandbox served (none). Exit code 0 when the sandbox ends up holding each valid
customer exactly once, without a 429.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from ..bulk import MAX_CONCURRENCY
from ..client import AsyncBridgeClient
from ..config import RateLimit
from ..errors import ConfigurationError
from ..resources.customers import ADD_CUSTOMER
from ..sandbox import Sandbox
from ..sandbox.context import RequestContext
from ..sandbox.handlers import HANDLERS
from . import COMMANDS
from ._args import concurrency
from ._progress import BulkProgress, print_summary

__all__ = ["demo_rows", "register", "run", "sustained_rate"]

DEFAULT_FAULTS = "addCustomer:error5xx=2%,addCustomer:reset_after_commit=2%"

_INVALID: tuple[dict[str, Any], ...] = (
    {"email": "not-an-e-mail", "password": "secret-1", "country": "CN", "register_source": "H5"},
    {"phone": "13911112222", "country": "CN", "register_source": "IOS"},  # no password
    {"email": "wrong.country@example.com", "password": "secret-3", "country": "CHN", "register_source": 2},
    {"phone": "12ab", "password": "secret-4", "country": "SG", "register_source": 4},
    {"email": "bad.source@example.com", "password": "secret-5", "country": "GB", "register_source": 42},
)


def demo_rows(count: int, *, seed: int = 0) -> tuple[list[dict[str, Any]], int, int]:
    """``count`` generated rows in shuffled order: unique customers, a few duplicates of them (same e-mail or
    phone) and the invalid rows. Returns (rows, unique valid customers, duplicates)."""
    rng = random.Random(seed)
    duplicates = max(1, count // 30)
    unique = count - duplicates - len(_INVALID)
    if unique < duplicates:
        raise ConfigurationError(f"the demo needs at least {3 * len(_INVALID)} rows")
    rows: list[dict[str, Any]] = []
    for i in range(unique):
        row: dict[str, Any] = {"country": rng.choice(("CN", "SG", "GB", "DE")), "register_source": (i % 9) + 1}
        if i % 3 != 1:
            row["email"] = f"customer{i:05d}@example.com"
        if i % 3 != 0:
            row.update(phone=f"1380000{i:04d}", phone_area="+86")
        row["password"] = f"demo-password-{i}"
        rows.append(row)
    copies = [dict(rows[i], password="another-password") for i in rng.sample(range(unique), duplicates)]
    rows += copies + [dict(row) for row in _INVALID]
    rng.shuffle(rows)
    return rows, unique, duplicates


def sustained_rate(times: Sequence[float], limit: RateLimit) -> float | None:
    """Requests per second sustained over sliding windows: ``limit.requests`` divided by the mean time from
    each request to the one ``limit.requests`` later (None when there were too few to tell)."""
    ordered = sorted(times)
    spans = [ordered[i + limit.requests] - ordered[i] for i in range(len(ordered) - limit.requests)]
    if not spans:
        return None
    return limit.requests / statistics.fmean(spans)


def register(subparsers: Any) -> None:
    """Add ``demo`` to the main parser."""
    parser = subparsers.add_parser(
        "demo",
        help=COMMANDS["demo"],
        description="Register a few hundred generated customers on an embedded sandbox at a scaled-down "
        "rate limit, with duplicates, invalid rows and injected faults, and show what happened.",
    )
    add = parser.add_argument
    add("--rows", type=int, default=300, metavar="N", help="rows to generate (default 300)")
    add("--rate-limit", default="50/1s", metavar="N/WINDOW", help="sandbox and client limit (default 50/1s)")
    add(
        "--concurrency",
        type=concurrency,
        default=16,
        metavar="N",
        help=f"rows in flight at once, 1 to {MAX_CONCURRENCY} (default 16)",
    )
    add("--faults", default=DEFAULT_FAULTS, metavar="SPEC", help='sandbox faults, "" for none (%(default)s)')
    add("--seed", type=int, default=1, help="seed of the rows and the faults (default 1)")
    parser.set_defaults(func=run)


async def _demo(args: argparse.Namespace, limit: RateLimit) -> int:
    rows, unique, duplicates = demo_rows(args.rows, seed=args.seed)
    arrivals: list[float] = []
    register_customer = HANDLERS[ADD_CUSTOMER]

    async def timed_registration(ctx: RequestContext, body: dict[str, Any]) -> Any:
        arrivals.append(time.monotonic())
        return await register_customer(ctx, body)

    sandbox = Sandbox(
        rate_limit=limit, seed=args.seed, faults=args.faults or None, handlers={ADD_CUSTOMER: timed_registration}
    )
    async with sandbox:
        print(f"sandbox on {sandbox.url}, allowing {limit.requests} requests per {limit.window:g} s", file=sys.stderr)
        print(
            f"{len(rows)} rows: {unique} customers, {duplicates} duplicates of them, "
            f"{len(rows) - unique - duplicates} invalid",
            file=sys.stderr,
        )
        client = AsyncBridgeClient(
            sandbox.credentials, sandbox.base_url, rate_limit=limit, timeout=5.0, trust_env=False
        )
        async with client:
            with BulkProgress(len(rows)) as progress:
                report = await client.customers.register_many(rows, concurrency=args.concurrency, on_result=progress)
        stats = sandbox.stats()
        held = len(sandbox.customers())
    allowed = limit.requests / limit.window
    achieved = sustained_rate(arrivals, limit)
    faults = sum(value for name, value in stats.items() if name.startswith("fault_") and name != "fault_latency")
    print_summary(
        report,
        [
            ("duplicates rejected", str(report.already_exists - report.probably_ours)),
            ("requests served", str(stats["requests"])),
            ("requests per second", f"{stats['requests'] / report.elapsed:.1f}"),
            (
                "achieved rate",
                "-" if achieved is None else f"{achieved:.1f}/s of {allowed:g}/s allowed ({achieved / allowed:.1%})",
            ),
            ("429 served", str(stats["rate_limited"])),
            ("faults injected", str(faults)),
            ("customers in the sandbox", f"{held} (expected {unique})"),
        ],
    )
    # Each valid row is settled, and the sandbox holds each customer exactly once (it refuses a second
    # registration of a phone or e-mail, so `held` counts distinct customers).
    settled = report.registered + report.already_exists == unique + duplicates and held == unique
    return 0 if settled and report.complete and stats["rate_limited"] == 0 and stats["banned"] == 0 else 1


def run(args: argparse.Namespace) -> int:
    """Run the demo; the exit code."""
    try:
        return asyncio.run(_demo(args, RateLimit.parse(args.rate_limit)))
    except ConfigurationError as exc:
        print(f"multimarkets demo: {exc}", file=sys.stderr)
        return 2
