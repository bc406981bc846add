"""The generated sync client's bulk methods: same concurrency as the async ones, callbacks, streaming."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import BridgeClient, MultiMarketsError
from multimarkets.bulk import RowOutcome, RowResult
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS


class Overlap:
    """A registration handler that remembers how many calls overlapped. With ``hold_until`` set, the first calls
    are held until that many are in at once (or 5 s pass), so a loaded machine cannot make concurrent workers
    look like fewer."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.hold_until = 0
        self.all_in = asyncio.Event()

    async def __call__(self, ctx: RequestContext, body: dict[str, Any]) -> Any:
        self.active += 1
        self.most = max(self.most, self.active)
        if self.active >= self.hold_until:
            self.all_in.set()
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.all_in.wait(), 5)
            return await HANDLERS[ADD_CUSTOMER](ctx, body)
        finally:
            self.active -= 1


@pytest.fixture
def overlap() -> Overlap:
    return Overlap()


@pytest.fixture
def sandbox(overlap: Overlap) -> Iterator[Sandbox]:
    with Sandbox.in_thread(rate_limit=FAST, handlers={ADD_CUSTOMER: overlap}) as sb:
        yield sb


def test_register_many_keeps_its_concurrency(sandbox: Sandbox, overlap: Overlap) -> None:
    seen: list[RowResult] = []
    loops = set()

    def on_result(result: RowResult) -> None:
        seen.append(result)
        loops.add(asyncio.get_running_loop())

    overlap.hold_until = 6
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        report = client.customers.register_many(make_rows(60), concurrency=6, on_result=on_result)
    assert report.registered == 60 and len(seen) == 60
    assert overlap.most == 6  # not a serial loop
    assert loops == {client._portal._loop}  # called in the client's event loop
    held = held_by_email(sandbox)
    assert all(held[r.email or ""] == [r.customer_no] for r in seen)


def test_stream_register_is_a_plain_iterator(sandbox: Sandbox) -> None:
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        results = list(client.customers.stream_register(make_rows(30), concurrency=4))
        assert sorted(r.row for r in results) == list(range(1, 31))
        assert {r.outcome for r in results} == {RowOutcome.REGISTERED}
        stream = client.customers.stream_register(make_rows(30, start=100), concurrency=4)
        first = next(iter(stream))
        assert first.outcome is RowOutcome.REGISTERED
        del stream  # abandoned early: the run is cancelled, the client stays usable
        again = client.customers.register_many(make_rows(30, start=100))
    assert again.registered + again.already_exists == 30


def test_a_callback_calling_the_sync_client_fails_fast(sandbox: Sandbox) -> None:
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:

        def on_result(result: RowResult) -> None:
            client.customers.list()

        with pytest.raises(MultiMarketsError, match="own event loop"):
            client.customers.register_many(make_rows(3), on_result=on_result)
