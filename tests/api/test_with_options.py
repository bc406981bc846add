"""``client.with_options(timeout=..., max_retries=...)``: a light copy whose calls take other options, sharing the
connections, the rate limit and the clock with its client, against the sandbox over loopback."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from multimarkets import (
    APITimeoutError,
    AsyncBridgeClient,
    BridgeClient,
    ClientClosedError,
    ConfigurationError,
    RateLimit,
    ServerError,
)
from multimarkets.limits import MemoryLimitStore, Verdict
from multimarkets.resources.catalog import CURRENCIES
from multimarkets.sandbox import Handler, RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio


class Gate:
    """Holds every currencies call in the sandbox until opened; says when the first one arrived."""

    def __init__(self) -> None:
        self.arrived = anyio.Event()
        self.opened = anyio.Event()

    async def handle(self, ctx: RequestContext, body: dict[str, Any]) -> Any:
        self.arrived.set()
        await self.opened.wait()
        return await HANDLERS[CURRENCIES](ctx, body)


class WatchedStore(MemoryLimitStore):
    """A limit store (the documented extension point) that notes each slot's lease and says when it told a
    caller to wait."""

    def __init__(self) -> None:
        super().__init__()
        self.leases: list[float] = []
        self.told_to_wait = anyio.Event()

    async def acquire(self, key: str, slot: str, limit: RateLimit | None, lease: float) -> Verdict:
        verdict = await super().acquire(key, slot, limit, lease)
        if verdict.wait > 0:
            self.told_to_wait.set()
        else:
            self.leases.append(lease)
        return verdict


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def extra_handlers(gate: Gate) -> dict[str, Handler]:
    return {CURRENCIES: gate.handle}


async def test_a_copy_s_timeout_applies_to_its_calls_only(client: AsyncBridgeClient, gate: Gate) -> None:
    quick = client.with_options(timeout=0.2, max_retries=0)
    async with anyio.create_task_group() as tg:
        answers: list[Any] = []

        async def slow_call() -> None:
            answers.append(await client.catalog.currencies())

        tg.start_soon(slow_call)
        await gate.arrived.wait()  # the client's own call is held in the sandbox from here on
        with pytest.raises(APITimeoutError) as caught:
            await quick.catalog.currencies()
        gate.opened.set()  # only now, after the copy gave up, may the client's call be answered
    assert (caught.value.timeout, caught.value.attempts) == (0.2, 1)
    assert {currency.code for currency in answers[0]} >= {"USDT", "BTC"}


async def test_a_copy_without_retries_does_not_retry_a_5xx_its_client_retries(
    client: AsyncBridgeClient, sandbox: Sandbox
) -> None:
    sandbox.set_faults("error5xx=1")
    with pytest.raises(ServerError):
        await client.with_options(max_retries=0).catalog.dictionaries("USDT")
    assert sandbox.stats()["fault_error5xx"] == 1
    with pytest.raises(ServerError):
        await client.catalog.dictionaries("USDT")  # the client's own max_retries=2: three attempts
    assert sandbox.stats()["fault_error5xx"] == 1 + 3
    with pytest.raises(ServerError):  # copied once the client's catalog exists: the copy's catalog, its options
        await client.with_options(max_retries=0).catalog.dictionaries("USDT")
    assert sandbox.stats()["fault_error5xx"] == 1 + 3 + 1


async def test_a_copy_counts_in_its_client_s_rate_limit(sandbox: Sandbox, requests_sent) -> None:
    store = WatchedStore()
    limit = RateLimit(2, 3600.0)
    options: dict[str, Any] = {"rate_limit": limit, "limit_store": store, "timeout": 5.0}
    async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, **options) as client:
        copy = client.with_options(timeout=7.0)
        await client.catalog.dictionaries("USDT")
        await copy.catalog.dictionaries("USDT")
        async with anyio.create_task_group() as tg:
            tg.start_soon(copy.catalog.dictionaries, "USDT")
            await store.told_to_wait.wait()  # the third call of the window waits, whoever makes it
            tg.cancel_scope.cancel()
        assert requests_sent() == 2
        # Each call's slot is leased for its own timeout: the copy's is two seconds longer.
        assert store.leases[1] - store.leases[0] == pytest.approx(2.0)
        await copy.aclose()
        with pytest.raises(ConfigurationError, match="one key has one limit"):
            AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=RateLimit(5, 1.0))


async def test_closing_a_copy_leaves_its_client_open(client: AsyncBridgeClient) -> None:
    copy, other = client.with_options(timeout=3.0), client.with_options(max_retries=1)
    await copy.aclose()
    with pytest.raises(ClientClosedError):
        await copy.catalog.dictionaries("USDT")
    assert await client.catalog.dictionaries("USDT")
    assert await other.catalog.dictionaries("USDT")
    assert (await other.with_raw_response.catalog.dictionaries("USDT")).status == 200
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await other.catalog.dictionaries("USDT")
    await copy.aclose()  # closing twice, or after the client, is harmless


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": -1},
        {"timeout": 0},
        {"timeout": "5"},
        {"timeout": float("nan")},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"max_retries": "2"},
        {"max_retries": True},
    ],
)
async def test_bad_options_are_refused_before_anything_is_sent(
    client: AsyncBridgeClient, requests_sent, options: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(options))):
        client.with_options(**options)
    assert requests_sent() == 0


async def test_an_unknown_option_is_refused(client: AsyncBridgeClient) -> None:
    with pytest.raises(TypeError, match="retries"):
        client.with_options(retries=1)  # type: ignore[call-arg]


def test_the_sync_copy_shares_the_client_and_keeps_its_own_retries(sandbox_in_thread: Sandbox) -> None:
    sandbox = sandbox_in_thread
    sandbox.reset()
    sandbox.set_faults("error5xx=1")
    try:
        with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None, max_retries=2) as client:
            once = client.with_options(max_retries=0)
            assert isinstance(once, BridgeClient)
            with pytest.raises(ServerError):
                once.catalog.dictionaries("USDT")
            assert sandbox.stats()["fault_error5xx"] == 1
            with pytest.raises(ServerError):
                client.catalog.dictionaries("USDT")
            assert sandbox.stats()["fault_error5xx"] == 1 + 3
            with pytest.raises(ServerError):  # copied once the client's catalog exists
                client.with_options(max_retries=0).catalog.dictionaries("USDT")
            assert sandbox.stats()["fault_error5xx"] == 1 + 3 + 1
            sandbox.set_faults(None)
            once.close()
            with pytest.raises(ClientClosedError):
                once.catalog.dictionaries("USDT")
            assert client.catalog.dictionaries("USDT")
            later = client.with_options(timeout=5.0)
        with pytest.raises(ClientClosedError):
            later.catalog.dictionaries("USDT")
        later.close()
    finally:
        sandbox.set_faults(None)


def test_the_sync_method_mirrors_the_async_one() -> None:
    mirrored, source = BridgeClient.with_options, AsyncBridgeClient.with_options
    assert inspect.signature(mirrored) == inspect.signature(source)
    assert mirrored.__doc__ == source.__doc__


def test_the_readme_example_runs() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Per-call options", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    done = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "True 0\n")
