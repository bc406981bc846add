"""What running the webhook receiver's store calls in a worker thread costs, and what it saves.

    python benchmarks/webhooks.py [--rounds 5] [--deliveries 2000] [--freeze 1.0]

Needs ``redis-server`` on the PATH (``.ci/run`` installs it); one is started on a free loopback port.
Two ways of handling a signed delivery inside a coroutine, side by side, in a fresh random order every round:

- ``on loop``: ``receiver.handle_sync(...)``, verifying and calling the store on the event loop (what
  ``handle`` did before it moved those to a worker thread);
- ``thread``: ``await receiver.handle(...)``.

Per store (``MemoryDedupStore``, which ``handle`` keeps on the loop; ``RedisDedupStore`` on the local server)
and per concurrency (1 and 8 deliveries at a time), each round prints microseconds of wall time per delivery
(every one a new event); the summary gives the ratio thread / on loop.

Then the stall: while one delivery waits ``--freeze`` seconds for a frozen Redis (SIGSTOP, then SIGCONT), a
ticker task on the same loop sleeps 10 ms at a time; the longest gap between its ticks is how long every other
coroutine of the application was held up.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from multimarkets.signing import RsaSha1Signer, RsaSha1Verifier
from multimarkets.webhooks import DedupStore, MemoryDedupStore, RedisDedupStore, WebhookReceiver

VARIANTS = ("on loop", "thread")


@contextmanager
def redis_server() -> Iterator[subprocess.Popen[bytes]]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL) as server:
        server.port = port  # type: ignore[attr-defined]
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        try:
            yield server
        finally:
            server.send_signal(signal.SIGCONT)
            server.terminate()


def key_pair() -> tuple[RsaSha1Signer, RsaSha1Verifier]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return RsaSha1Signer(base64.b64encode(private).decode()), RsaSha1Verifier(base64.b64encode(public).decode())


def deliveries(signer: RsaSha1Signer, first: int, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Signed deliveries of ``count`` distinct ORDER_EXEC_REPORT events."""
    made = []
    for n in range(first, first + count):
        content = {"msgType": "ORDER_EXEC_REPORT", "exchangeId": "binance", "tradeType": 10, "companyId": 220}
        content |= {
            "customerNo": "86000001",
            "tradeId": f"T{n}",
            "orderId": f"O{n}",
            "executeNum": "0.001",
            "status": "3",
        }
        payload = {"msgType": "trade", "content": json.dumps(content, separators=(",", ":"))}
        ts = int(time.time() * 1000)
        headers = {"companyId": "220", "trace": f"t-bench-{n}", "apiKey": "ak-1", "timestamp": str(ts)}
        headers["signature"] = signer.sign(payload, ts)
        made.append((json.dumps(payload, separators=(",", ":")).encode(), headers))
    return made


async def per_delivery(
    receiver: WebhookReceiver, variant: str, batch: list[tuple[bytes, dict[str, str]]], concurrency: int = 1
) -> float:
    """Microseconds of wall time per delivery, ``concurrency`` deliveries at a time."""

    async def worker(share: list[tuple[bytes, dict[str, str]]]) -> None:
        for body, headers in share:
            if variant == "thread":
                status = (await receiver.handle(body, headers)).status
            else:
                status = receiver.handle_sync(body, headers).status
            assert status == 200, status

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for n in range(concurrency):
            tg.start_soon(worker, batch[n::concurrency])
    return (time.perf_counter() - started) / len(batch) * 1e6


async def longest_gap(receiver: WebhookReceiver, variant: str, server: Any, freeze: float, delivery: Any) -> float:
    """Seconds the loop's other coroutines were held up while one delivery met a Redis frozen ``freeze`` s."""
    gaps: list[float] = []
    done = anyio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await anyio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    def thaw() -> None:
        time.sleep(freeze)
        server.send_signal(signal.SIGCONT)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        await anyio.sleep(0.05)
        server.send_signal(signal.SIGSTOP)
        thawing = threading.Thread(target=thaw)  # not a task: a blocked loop would not start it
        thawing.start()
        await per_delivery(receiver, variant, [delivery])
        done.set()
    thawing.join()
    return max(gaps)


async def main(rounds: int, count: int, freeze: float) -> None:
    signer, verifier = key_pair()
    with redis_server() as server:
        stores: dict[str, DedupStore] = {
            "memory": MemoryDedupStore(max_size=1_000_000),
            "redis": RedisDedupStore(f"redis://127.0.0.1:{server.port}/0"),  # type: ignore[attr-defined]
        }
        receivers = {
            name: WebhookReceiver(lambda event: None, verifier=verifier, dedup=s) for name, s in stores.items()
        }
        await per_delivery(receivers["redis"], "thread", deliveries(signer, 0, 200))  # warm up: connections, threads
        results: dict[tuple[str, int, str], list[float]] = {}
        first = 1000
        runs = [(store, concurrency) for store in stores for concurrency in (1, 8)]
        for n in range(rounds):
            order = [(store, concurrency, variant) for store, concurrency in runs for variant in VARIANTS]
            random.shuffle(order)
            line = []
            for store, concurrency, variant in order:
                batch = deliveries(signer, first, count)
                first += count
                us = await per_delivery(receivers[store], variant, batch, concurrency)
                results.setdefault((store, concurrency, variant), []).append(us)
                line.append(f"{store}x{concurrency}/{variant} {us:.0f} us")
            print(f"round {n + 1}: " + ", ".join(line))
        for store, concurrency in runs:
            on_loop, thread = results[(store, concurrency, "on loop")], results[(store, concurrency, "thread")]
            ratios = [t / o for t, o in zip(thread, on_loop, strict=True)]
            print(
                f"{store}, {concurrency} at a time: on loop median {statistics.median(on_loop):.0f} us, thread median "
                f"{statistics.median(thread):.0f} us per delivery; ratio thread/on loop median "
                f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
            )
        for variant in VARIANTS:
            [delivery] = deliveries(signer, first, 1)
            first += 1
            gap = await longest_gap(receivers["redis"], variant, server, freeze, delivery)
            print(f"stall ({variant}): Redis frozen {freeze:.1f} s, other coroutines held up {gap * 1000:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--freeze", type=float, default=1.0)
    arguments = parser.parse_args()
    anyio.run(main, arguments.rounds, arguments.deliveries, arguments.freeze)
