"""client.customers: list, iterate, get, cancel (registration is tested with the core)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from multimarkets import (
    APIError,
    AsyncBridgeClient,
    Customer,
    CustomerDetail,
    CustomerStatus,
    NotFoundError,
    Page,
    RegisterSource,
    ResponseFormatError,
    ValidationError,
)
from multimarkets._convert import to_millis
from multimarkets.resources.customers import ADD_CUSTOMER, CANCEL_CUSTOMER, CUSTOMER_DETAIL, CUSTOMER_PAGE
from multimarkets.sandbox import Handler, RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio


async def test_list_sends_paging_as_strings_and_parses_the_page(client, recorder, new_customer):
    numbers = [await new_customer(n) for n in range(5)]
    page = await client.customers.list(page=1, size=2)
    assert recorder.last(CUSTOMER_PAGE).body == {"current": "1", "size": "2"}
    assert isinstance(page, Page)
    assert (page.page, page.size, page.total, page.has_next) == (1, 2, 5, True)
    assert all(isinstance(c, Customer) for c in page.items)
    assert {c.customer_no for c in page.items} <= set(numbers)
    last = await client.customers.list(page=3, size=2)
    assert (len(last.items), last.has_next) == (1, False)


async def test_list_record_fields(client, customer_no):
    (customer,) = (await client.customers.list(customer_no)).items
    assert customer.customer_no == customer_no
    assert customer.status is CustomerStatus.NORMAL
    assert customer.register_source is RegisterSource.H5
    assert customer.phone == "13200000001" and customer.phone_area == "+86"
    assert isinstance(customer.create_time, datetime) and customer.create_time.tzinfo is not None
    assert customer.raw["createTime"] == to_millis(customer.create_time)
    assert "tgUserId" in customer.raw  # every wire field stays reachable


async def test_list_by_customer_no(client, recorder, new_customer):
    await new_customer(1)
    wanted = await new_customer(2)
    page = await client.customers.list(wanted)
    assert recorder.last(CUSTOMER_PAGE).body == {"customerNo": wanted, "current": "1", "size": "20"}
    assert [c.customer_no for c in page.items] == [wanted] and page.total == 1


@pytest.mark.parametrize("blank", ["", "  ", None])
async def test_list_with_a_blank_customer_no_is_not_filtered(client, recorder, new_customer, blank):
    await new_customer(1)
    page = await client.customers.list(blank)
    assert recorder.last(CUSTOMER_PAGE).body == {"current": "1", "size": "20"}
    assert page.total == 1


async def test_iterate_walks_every_page(client, recorder, new_customer):
    numbers = {await new_customer(n) for n in range(7)}
    before = recorder.count(CUSTOMER_PAGE)
    seen = [c.customer_no async for c in client.customers.iterate(size=3)]
    assert sorted(seen) == sorted(numbers)
    assert recorder.count(CUSTOMER_PAGE) - before == 3
    assert recorder.last(CUSTOMER_PAGE).body == {"current": "3", "size": "3"}


async def test_iterate_with_no_customers(client):
    assert [c async for c in client.customers.iterate()] == []


async def test_get_details(client, recorder, customer_no):
    detail = await client.customers.get(customer_no)
    assert recorder.last(CUSTOMER_DETAIL).body == {"customerNo": customer_no, "type": "baseInfo"}
    assert isinstance(detail, CustomerDetail)
    assert (detail.customer_no, detail.country, detail.status) == (customer_no, "CN", CustomerStatus.NORMAL)
    assert detail.register_time is not None and detail.register_time.tzinfo is not None


async def test_get_unknown_customer(client):
    with pytest.raises(NotFoundError) as caught:
        await client.customers.get("86999999")
    assert caught.value.code == "USCUSTOMER_API_0000003" and caught.value.trace


async def test_cancel_at_once(client, recorder, customer_no):
    assert await client.customers.cancel(customer_no, remark="asked", auto=True) is None
    assert recorder.last(CANCEL_CUSTOMER).body == {"customerNo": customer_no, "remark": "asked", "isAuto": True}
    assert (await client.customers.get(customer_no)).status is CustomerStatus.CANCELLED


async def test_cancel_pending_approval_then_refused_again(client, recorder, customer_no):
    await client.customers.cancel(customer_no, remark="closing")
    assert recorder.last(CANCEL_CUSTOMER).body["isAuto"] is False
    assert (await client.customers.get(customer_no)).status is CustomerStatus.CANCELLING
    with pytest.raises(APIError) as caught:
        await client.customers.cancel(customer_no, remark="again")
    assert caught.value.code == "USCUSTOMER_API_0000004"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.customers.list(page=0), "page"),
        (lambda c: c.customers.list(size=-1), "size"),
        (lambda c: c.customers.list(page="x"), "page"),
        (lambda c: c.customers.list(5), "customer_no"),
        (lambda c: c.customers.get(""), "customer_no"),
        (lambda c: c.customers.cancel("86000001", remark=" "), "remark"),
        (lambda c: c.customers.cancel("86000001", remark="r", auto="yes"), "auto"),
    ],
)
async def test_bad_input_is_refused_before_sending(client, requests_sent, call, field):
    before = requests_sent()
    with pytest.raises(ValidationError) as caught:
        await call(client)
    assert caught.value.field == field
    assert requests_sent() == before


async def test_iterate_validates_before_sending(client, requests_sent):
    before = requests_sent()
    with pytest.raises(ValidationError):
        [c async for c in client.customers.iterate(size=0)]
    assert requests_sent() == before


async def test_registration_answer_without_a_customer_number_is_bad_data():
    async def answer(ctx, body):
        return ""

    async with (
        Sandbox(handlers={ADD_CUSTOMER: answer}) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, max_retries=0) as client,
    ):
        with pytest.raises(ResponseFormatError) as caught:
            await client.customers.register(phone="13200000001", password="a123456", country="CN", register_source=1)
    error = caught.value
    assert (error.code, error.http_status, error.biz_type) == ("BAD_DATA", 200, ADD_CUSTOMER)
    assert "unexpected response data" in str(error) and error.trace


def ignoring_the_page_number(keep: Callable[[dict[str, Any]], bool] = lambda record: True) -> Handler:
    """A customer list that answers page 1 (of those ``keep`` keeps) whatever page is asked, out of a huge total."""

    async def answer(ctx: RequestContext, body: dict[str, Any]) -> Any:
        first = await HANDLERS[CUSTOMER_PAGE](ctx, dict(body, current="1"))
        return dict(first, records=[record for record in first["records"] if keep(record)], total=10**9)

    return answer


async def test_iterate_raises_when_the_server_ignores_the_page_number():
    async with (
        Sandbox(handlers={CUSTOMER_PAGE: ignoring_the_page_number()}) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, trust_env=False) as client,
    ):
        number = await client.customers.register(
            phone="13200000001", password="a123456", country="CN", register_source=1
        )
        seen = []
        with pytest.raises(ResponseFormatError) as caught:
            async for customer in client.customers.iterate(size=1):
                seen.append(customer.customer_no)
    assert seen == [number]  # page 1 once; the second answer, page 1 again, is refused
    error = caught.value
    assert (error.code, error.http_status) == ("WRONG_PAGE", 200)
    assert "asked for page 2" in str(error) and error.trace


async def test_iterate_ends_at_a_page_of_no_size_whatever_the_total():
    async def no_size(ctx: RequestContext, body: dict[str, Any]) -> Any:
        return dict(await HANDLERS[CUSTOMER_PAGE](ctx, body), size=0, total=10**9)

    async with (
        Sandbox(handlers={CUSTOMER_PAGE: no_size}) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, trust_env=False) as client,
    ):
        await client.customers.register(phone="13200000001", password="a123456", country="CN", register_source=1)
        assert len([customer async for customer in client.customers.iterate(size=1)]) == 1


async def test_the_reconcile_pass_ends_with_a_warning_when_the_server_ignores_the_page_number(
    caplog: pytest.LogCaptureFixture,
):
    existing = "reconciled@example.com"
    handlers = {CUSTOMER_PAGE: ignoring_the_page_number(lambda record: record.get("email") != existing)}
    async with (
        Sandbox(handlers=handlers) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, trust_env=False) as client,
    ):
        await client.customers.register(email=existing, password="a123456", country="CN", register_source=1)
        await client.customers.register(phone="13200000001", password="a123456", country="CN", register_source=1)
        row = {"email": existing, "password": "a123456", "country": "CN", "register_source": "1"}
        report = await client.customers.register_many([row])
    assert (report.already_exists, report.stopped_by) == (1, None)
    assert "reconcile pass failed: ResponseFormatError: asked for page 2" in caplog.text
