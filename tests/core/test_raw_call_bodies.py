"""Raw ``client.call`` bodies on both clients over loopback: Decimals travel as exact decimal strings (signed
like any string), and what JSON cannot carry is refused by key before anything is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from multimarkets import AsyncBridgeClient, RateLimit, ValidationError
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import RequestContext, Sandbox

pytestmark = pytest.mark.anyio

ECHO = "test.EchoService.echo"
UPDATE = "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal"
EXACT = Decimal("123456789012.345678")  # 18 digits: a float keeps about 16


async def _echo(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    return body


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    return {"rate_limit": RateLimit(1000, 1.0), "handlers": {ECHO: _echo}}


@pytest.fixture
async def manager(sandbox: Sandbox) -> AsyncIterator[AsyncManagerClient]:
    given = sandbox.manager_credentials
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    async with AsyncManagerClient(credentials, given.base_url, strict=True, trust_env=False) as client:
        yield client


async def test_a_bridge_body_carries_a_decimal_as_its_exact_digits(client: AsyncBridgeClient) -> None:
    # A null elsewhere in the body makes the signer canonicalise the body itself rather than the text sent.
    body = {"price": EXACT, "tiny": Decimal("1E-8"), "nested": [{"qty": Decimal("0.50")}], "remark": None}
    echoed = await client.call(ECHO, body)
    assert echoed == {**body, "price": "123456789012.345678", "tiny": "0.00000001", "nested": [{"qty": "0.50"}]}


async def test_a_manager_body_with_a_decimal_is_signed_as_sent_and_applied_exactly(
    manager: AsyncManagerClient,
) -> None:
    customer_no = await manager.customers.register(
        email="d@example.com", password="pw", country="GB", accounts={1: "USDT"}
    )
    (account,) = await manager.accounts.list(customer_no, 1)
    body = {
        "customerNo": customer_no,
        "accountId": account.account_id,
        "accountCurrency": "USDT",
        "tradeType": 1,
        "businessType": 4,
        "amount": EXACT,
        "withdraw": True,
    }
    # The sandbox checks the MD5 signature: an amount left out of the signed text is refused.
    assert (await manager.call(UPDATE, body)).startswith("A")
    (after,) = await manager.accounts.list(customer_no, 1)
    assert after.balance == EXACT


_LOOP: dict[str, Any] = {"ok": 1}
_LOOP["again"] = [_LOOP]  # below the top: the top of a body is copied before it is encoded


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": Decimal("NaN")}, "amount"),
        ({"amount": Decimal("-Infinity")}, "amount"),
        ({"amount": Decimal("sNaN")}, "amount"),
        ({"amount": float("inf")}, "amount"),
        ({"list": [{"ok": 1}, {"when": object()}]}, "list[1].when"),
        ({"raw": b"bytes"}, "raw"),
        ({"codes": {1, 2}}, "codes"),
        ({"inner": _LOOP}, "inner.again[0]"),  # a part that contains itself
    ],
)
async def test_what_json_cannot_carry_is_refused_by_key_before_anything_is_sent(
    sandbox: Sandbox, client: AsyncBridgeClient, manager: AsyncManagerClient, body: dict[str, Any], field: str
) -> None:
    for call in (client.call, manager.call):
        with pytest.raises(ValidationError) as refused:
            await call(ECHO, body)
        assert refused.value.field == field
    stats = sandbox.stats()
    assert (stats["requests"], stats["manager_requests"]) == (0, 0)  # the Manager auth call was not made either
