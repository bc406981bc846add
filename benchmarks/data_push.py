"""Events per second through the typed Data Push iterator, and its CPU time per event, against the sandbox.

    python benchmarks/data_push.py [--rounds 5] [--events 2000]

The sandbox runs in its own process (``python -m multimarkets.sandbox``), so it shares no GIL with the client.
Each round publishes ``--events`` position updates (41 fields each) through the sandbox's admin endpoint while
every variant is away; each variant then reconnects with its own group and drains them from the replay, in a
fresh random order every round:

- ``floor``: a bare aiohttp WebSocket with the token and group headers that ``json.loads`` each message (with
  exact decimals), the work every correct client must do;
- ``typed async``: ``client.data_push.events(group)``: typed event, tolerant reading, identity, seen-store;
- ``typed sync``: ``ManagerClient.data_push.events(group)`` in a plain ``for`` loop (through the portal).

Each round prints events per second and CPU microseconds per event (this process, all threads) per variant,
and the ratios to the floor; the summary gives min and max of each ratio over the rounds. ``parse only`` is
the CPU time of :func:`~multimarkets.manager.push.parse_push` alone on one message.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import aiohttp
from _driven import driven_loop

from multimarkets import ManagerClient, ManagerCredentials
from multimarkets.manager import AsyncManagerClient
from multimarkets.manager.push import parse_push

VARIANTS = ("floor", "typed async", "typed sync")
GROUPS = {variant: variant.replace(" ", "-") for variant in VARIANTS}


def position(n: int) -> dict[str, Any]:
    """A ``position_update`` with every documented field (reference manager-api §6.4)."""
    numbers = "accountId bizType closeFee collatrealFrozen companyId contractSize costPrice createBy currencyDigits"
    numbers += " customerGroupId customerId dealId direction openFee openMargin openPrice orderId status"
    numbers += " symbolDigits symbolId tradeModel tradeType crossLevelNum updateBy"
    data: dict[str, Any] = {name: 1 for name in numbers.split()}
    texts = "interest openTradeAmount lockNum currentTradeAmount maintenanceMargin occupyTheMargin singleMargin"
    data |= {name: "12.5" for name in (texts + " takeProfit stopLoss warningMargin").split()}
    data |= {"id": str(n), "currency": "USDT", "customerNo": "86000001", "marginSetType": "1", "openVolume": 0.01}
    return data | {"createTime": 1670815268755, "updateTime": 1670815268755 + n}


@contextlib.contextmanager
def sandbox_process() -> Iterator[dict[str, Any]]:
    """``python -m multimarkets.sandbox`` in its own process; its announcement line."""
    command = [sys.executable, "-m", "multimarkets.sandbox", "--port", "0", "--manager-rate-limit", "100000/1s"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as server:
        try:
            assert server.stdout is not None
            yield json.loads(server.stdout.readline())
        finally:
            server.terminate()
            server.wait(30)


async def publish(session: aiohttp.ClientSession, url: str, first: int, count: int) -> None:
    for n in range(first, first + count):
        async with session.post(
            f"{url}/__sandbox__/manager/push", json={"eventType": "position_update", "data": position(n)}
        ) as r:
            r.raise_for_status()


async def floor(session: aiohttp.ClientSession, ws_url: str, token: str, group: str, count: int) -> None:
    async with session.ws_connect(ws_url, headers={"token": token, "group": group}) as ws:
        for _ in range(count):
            message = await ws.receive()
            json.loads(message.data, parse_float=Decimal)


async def typed(client: AsyncManagerClient, group: str, count: int) -> None:
    seen = 0
    async with contextlib.aclosing(client.data_push.events(group)) as events:
        async for _ in events:
            seen += 1
            if seen == count:
                return


def typed_sync(client: ManagerClient, group: str, count: int) -> None:
    for seen, _ in enumerate(client.data_push.events(group), 1):
        if seen == count:
            return


def measure(run: Callable[[], None], count: int) -> tuple[float, float]:
    """Events per second and CPU microseconds per event of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, cpu / count * 1e6


def rounds_of(rounds: int, count: int) -> list[dict[str, tuple[float, float]]]:
    results = []
    with sandbox_process() as announced:
        manager = announced["manager"]
        credentials = ManagerCredentials(manager["app_id"], manager["app_secret"])
        ws_url = manager["base_url"] + "/ws"
        client = AsyncManagerClient(credentials, manager["base_url"], trust_env=False, rate_limit=None)
        sync_client = ManagerClient(credentials, manager["base_url"], trust_env=False, rate_limit=None)
        with driven_loop(client, sync_client) as (loop, session):
            token = loop.run_until_complete(client._scheme.tokens.get()).value
            runs: dict[str, Callable[[int], None]] = {
                "floor": lambda n: loop.run_until_complete(floor(session, ws_url, token, GROUPS["floor"], n)),
                "typed async": lambda n: loop.run_until_complete(typed(client, GROUPS["typed async"], n)),
                "typed sync": lambda n: typed_sync(sync_client, GROUPS["typed sync"], n),
            }
            for group in GROUPS.values():  # a group starts "from the new time point": open each once now
                loop.run_until_complete(floor(session, ws_url, token, group, 0))
            published = 0
            for number in range(1, rounds + 1):
                loop.run_until_complete(publish(session, announced["url"], published, count))
                published += count
                order = random.sample(VARIANTS, len(VARIANTS))
                measured = {variant: measure(lambda v=variant: runs[v](count), count) for variant in order}
                results.append(measured)
                report(number, measured)
    return results


def report(number: int, measured: dict[str, tuple[float, float]]) -> None:
    base_rate, base_cpu = measured["floor"]
    parts = [
        f"{v} {rate:,.0f}/s {cpu:.0f} us/event (x{rate / base_rate:.2f} rate, x{cpu / base_cpu:.2f} cpu)"
        for v, (rate, cpu) in measured.items()
    ]
    print(f"round {number}: " + "; ".join(sorted(parts)), flush=True)


def parse_only(repeats: int = 5000) -> float:
    text = json.dumps({"data": position(1), "eventType": "position_update"})
    started = time.process_time()
    for _ in range(repeats):
        parse_push(text)
    return (time.process_time() - started) / repeats * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    results = rounds_of(args.rounds, args.events)
    print(f"parse only: {parse_only():.1f} us of CPU per position_update message")
    for variant in VARIANTS[1:]:
        rates = [r[variant][0] / r["floor"][0] for r in results]
        cpus = [r[variant][1] / r["floor"][1] for r in results]
        print(
            f"{variant}: rate x{min(rates):.2f}..x{max(rates):.2f} of the floor, "
            f"CPU per event x{min(cpus):.2f}..x{max(cpus):.2f}"
        )


if __name__ == "__main__":
    main()
