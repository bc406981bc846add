"""Calls whose first answer is lost after the service acted: retried safely, never done twice."""

from __future__ import annotations

from typing import Any

import pytest

from multimarkets import APIError, OrderStatus
from multimarkets.resources.accounts import ADD_ACCOUNT
from multimarkets.resources.trading import CANCEL_ORDER, GET_ORDER, PLACE_ORDER
from multimarkets.sandbox import Handler, RequestContext
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio


class CommitThenFail:
    """Runs the real handler, then fails once: the service acted but the client gets a 500 (G500).

    With ``before`` set it fails once without running the handler: the client cannot tell the two apart.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.armed = False
        self.before = False

    async def __call__(self, ctx: RequestContext, body: dict[str, Any]) -> Any:
        if self.armed and self.before:
            self.armed = False
            raise RuntimeError("the request is lost before the handler ran")
        data = await self.handler(ctx, body)
        if self.armed:
            self.armed = False
            raise RuntimeError("the answer is lost after the commit")
        return data


@pytest.fixture
def lossy(recorder) -> dict[str, CommitThenFail]:
    recorded = recorder.wrap(HANDLERS)
    return {biz_type: CommitThenFail(recorded[biz_type]) for biz_type in (PLACE_ORDER, CANCEL_ORDER, ADD_ACCOUNT)}


@pytest.fixture
def extra_handlers(lossy) -> dict[str, Handler]:
    return dict(lossy)


async def test_place_order_after_a_lost_answer_returns_the_one_order(client, recorder, account, lossy):
    lossy[PLACE_ORDER].armed = True
    order = await client.trading.place_order(account, 59, side="buy", order_type="market", quantity="0.01")
    assert order.status is OrderStatus.FILLED and order.order_id
    assert recorder.count(PLACE_ORDER) == 2 and recorder.count(GET_ORDER) == 1
    fills = await client.trading.trades(account, 59)
    assert [f.order_id for f in fills] == [order.order_id]


async def test_cancel_after_a_lost_answer_reports_the_cancellation(client, recorder, account, lossy, market):
    await market.set_price(59, "60000")
    order = await client.trading.place_order(account, 59, side="buy", order_type="limit", quantity="0.1", price="100")
    lossy[CANCEL_ORDER].armed = True
    ref = await client.trading.cancel_order(account, 59, order_id=order.order_id)
    assert (ref.order_id, ref.client_order_id) == (order.order_id, order.client_order_id)
    assert recorder.count(CANCEL_ORDER) == 2


async def test_place_order_refused_after_a_lost_attempt_that_did_nothing_raises_the_refusal(
    client, recorder, account, lossy
):
    lossy[PLACE_ORDER].armed = lossy[PLACE_ORDER].before = True
    with pytest.raises(APIError) as caught:
        await client.trading.place_order(account, 59, side="buy", order_type="market", quantity="1000000")
    assert "insufficient balance" in str(caught.value) and caught.value.after_ambiguous
    assert recorder.count(GET_ORDER) == 1  # and found no order


async def test_cancel_refused_after_a_lost_attempt_on_a_filled_order_raises_the_refusal(
    client, recorder, account, lossy
):
    order = await client.trading.place_order(account, 59, side="buy", order_type="market", quantity="0.01")
    lossy[CANCEL_ORDER].armed = lossy[CANCEL_ORDER].before = True
    with pytest.raises(APIError) as caught:
        await client.trading.cancel_order(account, 59, order_id=order.order_id)
    assert caught.value.code == "USCUSTOMER_API_0000004" and caught.value.after_ambiguous
    assert recorder.count(GET_ORDER) == 1  # it showed the order filled, not cancelled


async def test_add_account_after_a_lost_answer_adds_no_twin(client, customer_no, lossy, binance_spot):
    lossy[ADD_ACCOUNT].armed = True
    with pytest.raises(APIError) as caught:
        await client.accounts.add(customer_no, **binance_spot)
    assert caught.value.code == "USCUSTOMER_API_00011003" and caught.value.after_ambiguous
    assert (await client.accounts.list(customer_no)).total == 1
