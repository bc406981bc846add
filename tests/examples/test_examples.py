"""Every runnable example in ``examples/`` does what its docstring says, against the sandbox over loopback."""

from __future__ import annotations

import queue
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from example_files import load_example, run_example

from multimarkets import BridgeClient, RateLimit, TradingAccount
from multimarkets.sandbox import DeliveryPolicy, Sandbox
from multimarkets.webhooks import Event, OrderExecReport

WAIT = 30.0
"""Seconds an example or a delivery may take before the test fails (they take well under one)."""


def test_async_quick_start_registers_and_reads_back() -> None:
    assert re.fullmatch(r"registered (\d+): ada@example\.com, NORMAL\n", run_example("quickstart_async"))


def test_sync_quick_start_registers_and_reads_back() -> None:
    assert re.fullmatch(r"registered (\d+): 13200000092, NORMAL\n", run_example("quickstart_sync"))


@pytest.mark.parametrize(
    ("name", "last_line"),
    [
        ("quickstart_async", r"registered \d+: ada@example\.com, NORMAL"),
        ("quickstart_sync", r"registered \d+: 13200000092, NORMAL"),
        ("csv_import", r"3 registered, 1 already existed, 1 invalid"),
        ("manager_quickstart_sync", r"registered \d+: 13200000092"),
    ],
)
def test_examples_keep_sandbox_traffic_off_a_proxy_of_the_environment(name: str, last_line: str) -> None:
    # A proxy on the discard port, where nothing listens: a request sent there fails.
    proxy = dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"), "http://127.0.0.1:9")
    assert re.fullmatch(last_line, run_example(name, env=proxy).splitlines()[-1])


def test_pagination_walks_every_page() -> None:
    assert run_example("pagination").splitlines() == [
        "page 1: 10 of 25 customers, more: True",
        "page 2: 10 customers",
        "page 3: 5 customers",
        "iterated over 25 customers",
    ]


def test_csv_import_reports_every_row_of_the_shipped_file() -> None:
    lines = run_example("csv_import").splitlines()
    outcomes = [line.split()[2] for line in lines[:-1]]
    assert outcomes == ["registered", "registered", "registered", "already_exists", "invalid"]
    assert "(country: is required)" in lines[4]
    assert lines[-1] == "3 registered, 1 already existed, 1 invalid"


def test_csv_import_takes_another_file(tmp_path: Path) -> None:
    source = tmp_path / "two.csv"
    source.write_text("email,password,country,register_source\na@example.com,pw,GB,H5\nb@example.com,pw,GB,H5\n")
    assert run_example("csv_import", str(source)).splitlines()[-1] == "2 registered, 0 already existed, 0 invalid"


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn from a thread on a free loopback port; yields the notification URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + WAIT
        while not server.started:  # readiness, not timing: uvicorn offers no callback for it
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/notification"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def test_fastapi_receiver_gets_the_fill_of_a_sandbox_order(binance_spot: dict[str, Any]) -> None:
    events: queue.Queue[Event] = queue.Queue()
    policy = DeliveryPolicy(attempts=4, backoff=0.01, timeout=5.0)
    with Sandbox.in_thread(rate_limit=RateLimit(1000, 1.0), webhook=policy) as sandbox:
        app = load_example("webhooks_fastapi").make_app(sandbox.platform_public_key, events.put)
        with served(app) as url, BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
            client.webhooks.subscribe(url)
            customer_no = client.customers.register(
                email="trader@example.com", password="pw-1234", country="CN", register_source="SYSTEM"
            )
            client.accounts.add(customer_no, **binance_spot, is_test=True)
            account = TradingAccount(exchange_id="binance", account_name="main", customer_no=customer_no)
            order = client.trading.place_order(account, 59, side="buy", order_type="market", quantity="0.002")
            event = events.get(timeout=WAIT)
    assert isinstance(event, OrderExecReport)
    assert event.order_id == order.order_id
    assert events.empty()
