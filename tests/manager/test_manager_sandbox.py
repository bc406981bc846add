"""The Manager client end to end through the embedded sandbox's Manager side (a second implementation of the
service: its own MD5 check, decryption with the company private key, tokens, limits and state)."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import anyio
import pytest

from multimarkets import APIError, CustomerExistsError, OutcomeUnknownError, RateLimit
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.manager.resources.accounts import BALANCE_UPDATE
from multimarkets.sandbox import Sandbox
from multimarkets.sandbox.manager import ManagerConfig

pytestmark = pytest.mark.anyio


async def test_register_list_detail_accounts_and_balance_update(sandboxed: AsyncManagerClient) -> None:
    customer_no = await sandboxed.customers.register(
        phone="13200000001", phone_area="+86", password="a123456", country="CN", accounts={1: ["USDT"], 5: "USDT,BTC"}
    )
    (customer,) = (await sandboxed.customers.list(customer_no)).items
    assert customer.customer_no == customer_no
    assert [c.customer_no async for c in sandboxed.customers.iterate()] == [customer_no]
    detail = await sandboxed.customers.get(customer_no, customer.id or 0)
    assert detail.customer_no == customer_no
    assert [a.currency for a in await sandboxed.accounts.list(customer_no, 5)] == ["USDT", "BTC"]
    (account,) = await sandboxed.accounts.list(customer_no, 1)
    assert account.balance == 0
    proposal = await sandboxed.accounts.update_balance(
        customer_no, currency="USDT", trade_type=1, amount="5.50", account_id=account.account_id, remark="bonus"
    )
    assert proposal and proposal.startswith("A")
    (after,) = await sandboxed.accounts.list(customer_no, 1)
    assert after.balance == Decimal("5.5")


async def test_the_sandbox_refuses_an_amount_or_a_balance_of_10_to_the_18_or_more(
    sandboxed: AsyncManagerClient,
) -> None:
    """1e400 was applied, and the account's balance then read as None."""
    customer_no = await sandboxed.customers.register(
        phone="13200000002", password="a123456", country="CN", accounts={1: ["USDT"]}
    )
    body = {"customerNo": customer_no, "accountCurrency": "USDT", "tradeType": 1, "businessType": 4, "withdraw": True}
    with pytest.raises(APIError) as caught:
        await sandboxed.call(BALANCE_UPDATE, {**body, "amount": "1" + "0" * 400})
    assert caught.value.code == "FS10002"
    largest = "999999999999999999"
    await sandboxed.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount=largest)
    with pytest.raises(APIError) as caught:
        await sandboxed.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount=1)
    assert caught.value.code == "FS52001"
    (account,) = await sandboxed.accounts.list(customer_no, 1)
    assert account.balance == Decimal(largest)


@pytest.mark.parametrize(("first", "second"), [("86", "+86"), ("+86", "86"), (None, "86")])
async def test_an_area_code_with_or_without_plus_is_one_area(
    sandboxed: AsyncManagerClient, first: str | None, second: str
) -> None:
    # The service rule the Bridge side plays too: "86" and "+86" are one area, "+86" when none is given.
    await sandboxed.customers.register(
        phone="13200000009", phone_area=first, password="pw", country="CN", accounts={1: "USDT"}
    )
    with pytest.raises(CustomerExistsError):
        await sandboxed.customers.register(
            phone="13200000009", phone_area=second, password="pw", country="CN", accounts={1: "USDT"}
        )
    (customer,) = (await sandboxed.customers.list()).items
    assert customer.phone_area == "+86"


async def test_catalog_and_groups(sandboxed: AsyncManagerClient) -> None:
    assert await sandboxed.catalog.currencies()
    assert all(p.trade_type == 5 for p in await sandboxed.catalog.products(trade_type=5))
    assert await sandboxed.catalog.dictionaries("USDT")
    assert await sandboxed.customers.groups()


async def test_plain_bodies_are_accepted_too(sandbox: Sandbox) -> None:
    given = sandbox.manager_credentials
    async with AsyncManagerClient(
        ManagerCredentials(given.app_id, given.app_secret), given.base_url, encrypt=False, trust_env=False
    ) as client:
        assert (await client.customers.list()).total == 0


async def test_a_balance_update_the_service_refuses_says_why(sandboxed: AsyncManagerClient) -> None:
    customer_no = await sandboxed.customers.register(
        email="a@example.com", password="pw", country="GB", accounts={1: "USDT"}
    )
    with pytest.raises(APIError) as refused:
        await sandboxed.accounts.update_balance(customer_no, currency="BTC", trade_type=1, amount=5)
    assert refused.value.code == "FS10002"


async def test_a_balance_update_applied_but_unanswered_is_not_applied_twice(
    sandbox: Sandbox, sandboxed: AsyncManagerClient
) -> None:
    customer_no = await sandboxed.customers.register(
        email="b@example.com", password="pw", country="GB", accounts={1: "USDT"}
    )
    sandbox.set_faults("addCustomerAdjustProposal:reset_after_commit=1")
    with pytest.raises(OutcomeUnknownError, match="may have been applied"):
        await sandboxed.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount="7")
    sandbox.set_faults(None)
    (account,) = await sandboxed.accounts.list(customer_no, 1)
    assert account.balance == Decimal("7")


class Clock:
    """The sandbox's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_expired_token_is_renewed_once_for_many_concurrent_calls() -> None:
    clock = Clock()
    auth_requests: list[str] = []
    counting = aiohttp.TraceConfig()

    async def on_request_start(session: object, context: object, params: aiohttp.TraceRequestStartParams) -> None:
        if "/auth/" in params.url.path:
            auth_requests.append(params.url.path)

    counting.on_request_start.append(on_request_start)
    async with Sandbox(manager=ManagerConfig(token_lifetime="30s"), clock=clock) as sandbox:
        given = sandbox.manager_credentials
        async with AsyncManagerClient(
            ManagerCredentials(given.app_id, given.app_secret),
            given.base_url,
            rate_limit=RateLimit(1000, 1.0),
            trust_env=False,
            trace_configs=[counting],
        ) as client:
            await client.customers.list()
            clock.now += 31
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(client.customers.list)
    assert len(auth_requests) == 2
