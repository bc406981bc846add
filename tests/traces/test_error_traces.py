"""Every error that knows the trace of its call prints it the way ``APIError`` does (`` | trace=<id>``): a balance
update whose answer was lost (``OutcomeUnknownError``) and a connection broken mid-call (``APIConnectionError``),
against the sandbox; the trace is the one that went over HTTP (aiohttp's request hooks)."""

from __future__ import annotations

import pytest
from trace_calls import Wire

from multimarkets import APIConnectionError, AsyncBridgeClient, OutcomeUnknownError
from multimarkets.manager import AsyncManagerClient
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_a_lost_balance_update_prints_the_trace_of_its_call(
    sandbox: Sandbox, manager: AsyncManagerClient, wire: Wire
) -> None:
    customer_no = await manager.customers.register(
        email="lost@example.com", password="pw", country="GB", accounts={1: "USDT"}
    )
    sandbox.set_faults("addCustomerAdjustProposal:reset_after_commit=1")
    with pytest.raises(OutcomeUnknownError) as caught:
        await manager.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount="7")
    sent = wire.exchanges[-1].trace
    assert sent is not None and caught.value.trace == sent
    assert str(caught.value) == f"{caught.value.message} | trace={sent}"


async def test_a_broken_connection_prints_the_trace_of_its_call(
    sandbox: Sandbox, client: AsyncBridgeClient, wire: Wire
) -> None:
    sandbox.set_faults("reset_before=1")
    with pytest.raises(APIConnectionError) as caught:
        await client.with_options(max_retries=0).catalog.currencies()
    sent = wire.exchanges[-1].trace
    assert sent is not None and caught.value.trace == sent
    assert str(caught.value).endswith(f" | trace={sent}")
