"""A bulk run lets go of its input when it returns, not at the garbage collector's next pass."""

from __future__ import annotations

import gc
import weakref

import pytest
from bulk_helpers import make_rows

from multimarkets import AsyncBridgeClient, CustomerRegistration

pytestmark = pytest.mark.anyio


async def test_register_many_lets_go_of_its_input_when_it_returns(client: AsyncBridgeClient) -> None:
    rows = [CustomerRegistration(**row) for row in make_rows(3)]
    first = weakref.ref(rows[0])
    gc.disable()  # only reference counting frees now: whatever the finished run still holds stays alive
    try:
        report = await client.customers.register_many(rows, reconcile=False)
        del rows
        assert report.registered == 3
        assert first() is None
    finally:
        gc.enable()
