"""Request ids on success (issue 13.3): every model a method returns carries the trace of the call that answered
it. Both clients, every single-call method, against the sandbox over loopback; the trace is checked against what
went over HTTP (aiohttp's request hooks) and what the sandbox served, not against the SDK's own view."""

from __future__ import annotations

from typing import Any

import pytest
from trace_calls import CALLS, EVERY_METHOD, RETURNS_MODELS, WORLDS, Handled, Wire, drive_async, models_in, returns

from multimarkets import AsyncBridgeClient

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("api", "name"), EVERY_METHOD)
async def test_models_a_method_returns_carry_the_trace_the_service_answered(
    clients: dict[str, Any], wire: Wire, handled: Handled, api: str, name: str
) -> None:
    client = clients[api]
    world = await drive_async(WORLDS[api](client))
    result = await CALLS[api][name](client, world)
    last = wire.exchanges[-1]
    assert last.status == 200
    if api == "bridge":
        assert handled.traces[-1] == last.trace
    assert isinstance(result, returns(api, name))
    models = models_in(result)
    if name in RETURNS_MODELS:
        assert models, "the call under test should answer at least one model"
        assert {model.trace for model in models} == {last.trace}
    else:
        assert models == []  # a plain value: its trace is in with_raw_response


async def test_the_trace_is_no_part_of_equality_or_repr(client: AsyncBridgeClient) -> None:
    first, second = await client.catalog.currencies(), await client.catalog.currencies()
    assert first == second and first[0].trace != second[0].trace
    assert first[0].trace not in repr(first[0])


async def test_what_iterate_yields_carries_the_trace_of_its_page(client: AsyncBridgeClient, wire: Wire) -> None:
    for n in (1, 2, 3):
        await client.customers.register(phone=f"1320000{n:04d}", password="a123456", country="CN", register_source=1)
    start = len(wire.exchanges)
    traces = [customer.trace async for customer in client.customers.iterate(size=2)]
    pages = wire.since(start)
    assert len(pages) == 2
    assert traces == [pages[0].trace, pages[0].trace, pages[1].trace]
