"""Seeded fault injection: spec parsing, rates, reproducibility, and what a client sees for each kind."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

import aiohttp
import anyio
import pytest

from multimarkets.errors import ConfigurationError
from multimarkets.sandbox import FaultSpec, Latency
from multimarkets.sandbox.faults import FAULT_KINDS, FaultInjector

pytestmark = pytest.mark.anyio

SERVICE = "customer.admin.WhiteCustomerAdminApiService"
ADD = f"{SERVICE}.addCustomer"
PAGE = f"{SERVICE}.page"
RATE = 0.07
ALL_KINDS = ",".join(f"{kind}={RATE}" for kind in FAULT_KINDS) + ",stall=20ms"


# -- spec ------------------------------------------------------------------------------------------


def test_spec_parses_rates_latency_stall_and_selectors():
    spec = FaultSpec.parse(
        " latency=20ms..200ms, error5xx=0.05,reset_before=2%, addCustomer:reset_after_commit=0.1,"
        f"{PAGE}:latency=1s,stall=2s"
    )
    assert spec.default.rates == {"error5xx": 0.05, "reset_before": 0.02}
    assert spec.default.latency == Latency(0.02, 0.2)
    assert spec.default.stall == 2.0
    add = spec.rule_for(ADD)
    assert add.rates == {"error5xx": 0.05, "reset_before": 0.02, "reset_after_commit": 0.1}
    assert spec.rule_for(PAGE).latency == Latency(1.0, 1.0)
    assert spec.rule_for("other.Service.call").rates == spec.default.rates
    assert FaultSpec.parse(str(spec)) == spec


def test_full_biz_type_selector_wins_over_last_segment():
    spec = FaultSpec.parse(f"page:html403=0.5,{PAGE}:html403=0.25")
    assert spec.rule_for(PAGE).rates == {"html403": 0.25}
    assert spec.rule_for("other.Service.page").rates == {"html403": 0.5}


@pytest.mark.parametrize(
    "text",
    [
        "explode=0.1",
        "error5xx=1.5",
        "error5xx=abc",
        "error5xx",
        "latency=fast",
        "latency=200ms..20ms",
        "stall=later",
        "error5xx=0.6,html403=0.6",
        "error5xx=0.5,addCustomer:html403=0.6",
        f"addCustomer:error5xx=0.6,{ADD}:html403=0.6",
    ],
)
def test_bad_specs_are_rejected_with_a_clear_error(text):
    with pytest.raises(ConfigurationError):
        FaultSpec.parse(text)


def test_empty_spec_means_no_faults():
    assert FaultSpec.parse("") == FaultSpec.parse(None) == FaultSpec()
    injector = FaultInjector(FaultSpec(), seed=1, base_latency=None, default_stall=30.0)
    assert not injector.active
    assert injector.plan(ADD).kind is None


def test_same_seed_same_plans_other_seed_other_plans():
    spec = FaultSpec.parse(ALL_KINDS + ",latency=1ms..5ms")

    def plans(seed: int) -> list[tuple[str | None, float]]:
        injector = FaultInjector(spec, seed=seed, base_latency=None, default_stall=30.0)
        return [(p.kind, p.latency) for p in (injector.plan(ADD) for _ in range(300))]

    assert plans(42) == plans(42)
    assert plans(42) != plans(43)


# -- over the wire ---------------------------------------------------------------------------------


async def outcome(raw, index: int) -> tuple[str, float]:
    """What the client sees for one registration, and how long it took."""
    started = time.monotonic()
    try:
        reply = await raw.register(email=f"user{index}@example.com", timeout=5)
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
        return "reset", time.monotonic() - started
    elapsed = time.monotonic() - started
    if reply.status == 403 and reply.headers["Content-Type"].startswith("text/html"):
        return "html403", elapsed
    if reply.status >= 500:
        return f"error{reply.status}", elapsed
    try:
        code = reply.code
    except ValueError:
        return "bad_json", elapsed
    return ("ok" if code == "0" else code), elapsed


async def run_sequence(start_sandbox, n: int, seed: int):
    raw = await start_sandbox(seed=seed, faults=ALL_KINDS, rate_limit="100000/60s")
    seen = [await outcome(raw, i) for i in range(n)]
    return raw.sandbox, [kind for kind, _ in seen], [elapsed for _, elapsed in seen]


async def test_every_fault_kind_at_its_rate_and_reproducible(start_sandbox):
    n = 400
    sandbox, kinds, elapsed = await run_sequence(start_sandbox, n, seed=7)
    stats = sandbox.stats()
    counts = {kind: stats[f"fault_{kind}"] for kind in FAULT_KINDS}

    # each kind fires at its rate: within 4 standard deviations of the binomial mean
    mean, sd = n * RATE, math.sqrt(n * RATE * (1 - RATE))
    for kind, count in counts.items():
        assert mean - 4 * sd <= count <= mean + 4 * sd, (kind, count)
    assert stats["requests"] == n

    # the client sees exactly what the stats report
    assert kinds.count("html403") == counts["html403"]
    assert kinds.count("bad_json") == counts["bad_json"]
    assert sum(kinds.count(f"error{s}") for s in (500, 502, 503)) == counts["error5xx"]
    assert {"error500", "error502", "error503"} <= set(kinds)
    assert kinds.count("reset") == counts["reset_before"] + counts["reset_after_commit"]
    assert kinds.count("ok") == n - sum(counts.values()) + counts["slow_body"]
    assert sum(1 for e in elapsed if e >= 0.02) >= counts["slow_body"]

    # a reset after commit registered the customer; a reset before did not
    registered = {c["email"] for c in sandbox.customers()}
    resets = [i for i, kind in enumerate(kinds) if kind == "reset"]
    assert sum(f"user{i}@example.com" in registered for i in resets) == counts["reset_after_commit"]
    assert sum(f"user{i}@example.com" not in registered for i in resets) == counts["reset_before"]
    # a mangled answer still comes from a processed request
    assert all(f"user{i}@example.com" in registered for i, kind in enumerate(kinds) if kind == "bad_json")

    # same seed, same requests: the same faults in the same order
    again, kinds_again, _ = await run_sequence(start_sandbox, n, seed=7)
    assert kinds_again == kinds
    assert {k: again.stats()[f"fault_{k}"] for k in FAULT_KINDS} == counts


async def test_reset_is_a_dropped_connection_not_an_http_error(start_sandbox):
    raw = await start_sandbox(faults="reset_before=1")
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        await raw.call(PAGE, {})
    assert raw.sandbox.stats()["fault_reset_before"] == 1
    raw.sandbox.set_faults("")
    assert (await raw.call(PAGE, {})).code == "0"  # the next request gets a fresh connection


async def until(condition: Callable[[], bool]) -> None:
    """Let the sandbox (in this loop) run until ``condition()`` holds; a regression fails after 10 s, not hangs."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - the sandbox's counters and logs come with no event to await
            await asyncio.sleep(0.01)


async def test_a_client_hanging_up_mid_body_is_not_logged_as_an_error(start_sandbox, caplog):
    raw = await start_sandbox()
    headers = raw.headers({})
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if name != "Content-Type")
    _, writer = await asyncio.open_connection("127.0.0.1", raw.sandbox.port)
    writer.write(f"POST /webhook/global/{PAGE} HTTP/1.1\r\nHost: x\r\n{head}Content-Length: 100\r\n\r\n{{".encode())
    await writer.drain()
    # The gateway counts a request and, without awaiting anything else, waits for its body.
    await until(lambda: raw.sandbox.stats()["requests"] == 1)
    with caplog.at_level(logging.DEBUG):
        writer.transport.abort()
        await until(lambda: any("hung up" in r.getMessage() for r in caplog.records))
        assert (await raw.call(PAGE, {})).code == "0"  # the sandbox serves on
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_reset_after_commit_keeps_the_change(start_sandbox):
    raw = await start_sandbox(faults="addCustomer:reset_after_commit=1")
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        await raw.register(phone="13200000001")
    assert [c["phone"] for c in raw.sandbox.customers()] == ["13200000001"]
    assert (await raw.call(PAGE, {})).data["total"] == 1  # other bizTypes are not affected
    raw.sandbox.set_faults("")
    # retrying the ambiguous attempt meets the natural duplicate guard
    assert (await raw.register(phone="13200000001")).code == "USCUSTOMER_API_0000106"


async def test_html403_is_a_firewall_page(start_sandbox):
    raw = await start_sandbox(faults="html403=1")
    reply = await raw.call(PAGE, {})
    assert reply.status == 403
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"403 Forbidden" in reply.raw


async def test_bad_json_is_http_200_and_unparseable(start_sandbox):
    raw = await start_sandbox(faults="bad_json=1", seed=3)
    for _ in range(10):
        reply = await raw.call(PAGE, {})
        assert reply.status == 200
        with pytest.raises(ValueError):
            reply.json  # noqa: B018


async def test_slow_body_stalls_past_the_client_timeout_and_does_not_delay_shutdown(start_sandbox, session):
    raw = await start_sandbox(faults="slow_body=1", slow_body_seconds=60)
    headers = raw.headers({})
    url = f"{raw.sandbox.base_url}/global/{PAGE}"
    started = time.monotonic()
    async with session.post(url, data=b"{}", headers=headers) as response:
        assert response.status == 200
        length = int(response.headers["Content-Length"])
        first = await response.content.read(length // 2)
        assert 0 < len(first) <= length // 2
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(response.content.read(), 0.3)
        response.close()
    await raw.sandbox.stop()  # wakes the stalled handler instead of waiting 60 s
    assert time.monotonic() - started < 30  # far below the stall, so a loaded machine cannot fail it


async def test_stall_shorter_than_the_timeout_delivers_the_whole_answer(start_sandbox):
    raw = await start_sandbox(faults="slow_body=1,stall=10ms")
    assert (await raw.call(PAGE, {})).code == "0"
    assert raw.sandbox.stats()["fault_slow_body"] == 1


async def test_error5xx_variants(start_sandbox):
    raw = await start_sandbox(faults="error5xx=1", seed=11)
    seen = set()
    for _ in range(30):
        reply = await raw.call(PAGE, {}, trace="t-5xx")
        seen.add(reply.status)
        if reply.status == 500:
            assert (reply.code, reply.json["trace"]) == ("G500", "t-5xx")
        else:
            assert reply.headers["Content-Type"].startswith("text/plain")
    assert seen == {500, 502, 503}
    assert raw.sandbox.customers() == []


async def test_faults_per_biz_type(start_sandbox):
    raw = await start_sandbox(faults="addCustomer:error5xx=1")
    assert (await raw.register(phone="13200000001")).status >= 500
    assert (await raw.call(PAGE, {})).code == "0"


async def test_latency_is_added_and_counted(start_sandbox):
    raw = await start_sandbox(latency="30ms")
    started = time.monotonic()
    assert (await raw.call(PAGE, {})).code == "0"
    assert time.monotonic() - started >= 0.03
    assert raw.sandbox.stats()["fault_latency"] == 1
    raw.sandbox.set_faults("page:latency=0ms")  # a spec's latency overrides the base latency
    assert (await raw.call(PAGE, {})).code == "0"
    assert raw.sandbox.stats()["fault_latency"] == 1


async def test_faults_change_at_run_time_through_admin(start_sandbox):
    raw = await start_sandbox()
    reply = await raw.admin("POST", "faults", data="html403=1")
    assert (reply.status, reply.json) == (200, {"spec": "html403=1"})
    assert (await raw.call(PAGE, {})).status == 403
    reply = await raw.admin("POST", "faults", json={"spec": "addCustomer:html403=1"})
    assert reply.json == {"spec": "addCustomer:html403=1"}
    assert (await raw.call(PAGE, {})).status == 200
    assert (await raw.admin("GET", "faults")).json == {"spec": "addCustomer:html403=1"}
    assert raw.sandbox.faults == FaultSpec.parse("addCustomer:html403=1")
    bad = await raw.admin("POST", "faults", data="html403=7")
    assert bad.status == 400 and "probability" in bad.json["error"]
    assert (await raw.admin("POST", "faults", json={"spec": ""})).json == {"spec": ""}
    assert (await raw.register(phone="13200000001")).code == "0"
