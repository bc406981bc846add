"""The SDK's Manager client and the sandbox are two implementations of the reference written apart (signer,
encryptor, models): here they must agree end to end, with encrypted and plain bodies, strict reading, and a
token that expires mid-run."""

from __future__ import annotations

from decimal import Decimal

import pytest

from multimarkets.manager import AsyncManagerClient, ManagerClient, ManagerCredentials
from multimarkets.sandbox import ManagerConfig, Sandbox

pytestmark = pytest.mark.anyio


def credentials_of(sandbox: Sandbox) -> ManagerCredentials:
    own = sandbox.manager_credentials
    return ManagerCredentials(own.app_id, own.app_secret)


@pytest.mark.parametrize("encrypt", [True, False])
async def test_every_call_agrees(encrypt: bool, fake_clock) -> None:
    clock = fake_clock
    async with (
        Sandbox(manager=ManagerConfig(token_lifetime="60s"), clock=clock) as sandbox,
        AsyncManagerClient(credentials_of(sandbox), sandbox.manager_base_url, encrypt=encrypt, strict=True) as client,
    ):
        assert next(d.code for d in await client.catalog.dictionaries("USDT")) == "Tron(TRC20)"
        assert "USDT" in {c.code for c in await client.catalog.currencies()}
        assert {p.trade_type for p in await client.catalog.products(trade_type=5)} == {5}
        assert {g.id for g in await client.customers.groups()} == {1, 2, 3}
        customer_no = await client.customers.register(
            country="CN",
            accounts={1: "USDT", 5: ["USDT", "BTC"]},
            phone="13200000001",
            phone_area="+86",
            password="a123456",
            remark="测试 +86 ~%&=",
        )
        (customer,) = (await client.customers.list()).items
        assert (customer.customer_no, customer.remark) == (customer_no, "测试 +86 ~%&=")
        assert (await client.customers.get(customer_no, customer.id)).customer_no == customer_no
        (account,) = await client.accounts.list(customer_no, 1)
        assert account.balance == Decimal("0")
        clock.advance(61)  # the token expires: the client logs in again by itself
        proposal = await client.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount="2.50")
        assert proposal is not None and proposal.startswith("A")
        (account,) = await client.accounts.list(customer_no, 1)
        assert account.balance == Decimal("2.50")
        assert [c.customer_no async for c in client.customers.iterate()] == [customer_no]


def test_the_sync_client_agrees() -> None:
    with Sandbox.in_thread() as sandbox, ManagerClient(credentials_of(sandbox), sandbox.manager_base_url) as client:
        customer_no = client.customers.register(
            country="CN", accounts={1: "USDT"}, email="a@example.com", password="a123456"
        )
        assert [c.customer_no for c in client.customers.list().items] == [customer_no]
