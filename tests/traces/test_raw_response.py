"""``client.with_raw_response.<resource>.<method>(...)`` (issue 13.3): any method's result with the HTTP status,
headers, trace and attempt count of its call, on both clients and every single-call method, over loopback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from trace_calls import CALLS, EVERY_METHOD, WORLDS, Wire, drive_async, models_in, returns

from multimarkets import AsyncBridgeClient, RawResponse
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("api", "name"), EVERY_METHOD)
async def test_with_raw_response_gives_status_headers_trace_and_attempts(
    clients: dict[str, Any], wire: Wire, api: str, name: str
) -> None:
    client = clients[api]
    world = await drive_async(WORLDS[api](client))
    start = len(wire.exchanges)
    raw = await CALLS[api][name](client.with_raw_response, world)
    (exchange,) = wire.since(start)
    assert isinstance(raw, RawResponse)
    assert (raw.status, raw.trace, raw.attempts) == (200, exchange.trace, 1)
    assert raw.headers["Content-Type"].startswith("application/json")
    assert isinstance(raw.parsed, returns(api, name))
    assert all(model.trace == raw.trace for model in models_in(raw.parsed))


@pytest.mark.parametrize("api", ["bridge", "manager"])
async def test_attempts_count_a_retried_transient_failure(
    clients: dict[str, Any], sandbox: Sandbox, wire: Wire, api: str
) -> None:
    client = clients[api]
    await client.customers.list()  # the Manager client fetches its token before the faults start
    sandbox.set_faults("page:error5xx=0.5")
    start = len(wire.exchanges)
    raw = await client.with_raw_response.customers.list()
    exchanges = wire.since(start)
    assert raw.attempts == len(exchanges) > 1
    assert all(e.status is not None and e.status >= 500 for e in exchanges[:-1]) and exchanges[-1].status == 200
    assert raw.trace == exchanges[-1].trace == raw.parsed.trace
    assert len({e.trace for e in exchanges}) == len(exchanges)  # every attempt has a trace of its own


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("customers.iterate", "it walks every page: call with_raw_response.customers.list(page=...) for one page"),
        ("accounts.iterate", "it walks every page: call with_raw_response.accounts.list(page=...) for one page"),
        ("customers.stream_register", "a bulk run makes one call per row: each RowResult counts its attempts"),
        ("customers.register_many", "a bulk run makes one call per row: each RowResult counts its attempts"),
        ("aclose", "closing makes no API call"),
        ("customers.no_such_method", "'AsyncCustomers' object has no attribute 'no_such_method'"),
    ],
)
async def test_what_makes_many_calls_or_none_has_no_raw_response(
    client: AsyncBridgeClient, path: str, why: str
) -> None:
    owner, _, name = path.rpartition(".")
    target = getattr(client.with_raw_response, owner) if owner else client.with_raw_response
    with pytest.raises(AttributeError) as refused:
        getattr(target, name)
    assert why in str(refused.value)


def test_the_readme_example_runs() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Request ids and raw responses", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    done = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    trace = r"t-[0-9a-z-]+"
    expected = rf"(\d+) 200 ({trace}) 1 application/json\n\1 listed under trace (?!\2){trace}\n"
    assert re.fullmatch(expected, done.stdout), done.stdout


async def test_dir_lists_what_has_a_raw_response(client: AsyncBridgeClient) -> None:
    assert dir(client.with_raw_response) == ["accounts", "call", "catalog", "customers", "trading", "webhooks"]
    assert dir(client.with_raw_response.customers) == ["cancel", "get", "list", "register"]
