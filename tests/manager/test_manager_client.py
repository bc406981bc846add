"""Every typed Manager method against a loopback server that checks the documented contract on the wire."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
import pytest
from manager_contract import ACCOUNT, APP_ID, APP_SECRET, AUTH, COMPANY, ContractServer

from multimarkets import (
    AccountKind,
    AccountStatus,
    APIConnectionError,
    ConfigurationError,
    CustomerExistsError,
    LoginExpiredError,
    OutcomeUnknownError,
    RateLimit,
    ResponseFormatError,
    ValidationError,
)
from multimarkets.manager import AsyncManagerClient, ManagerCredentials

pytestmark = pytest.mark.anyio

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"
REGISTER = "customer.admin.WhiteCustomerAdminApiService.addCusAndOpenAccountAndKyc"
BALANCE = "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal"


async def test_every_typed_method_speaks_the_documented_contract(
    manager: AsyncManagerClient, server: ContractServer
) -> None:
    assert (await manager.catalog.dictionaries("USDT"))[0].code == "Tron(TRC20)"
    assert (await manager.catalog.currencies())[0].digits == 2
    assert (await manager.catalog.products(trade_type=3))[0].symbol_code == "USDCHF"
    page = await manager.customers.list(page=1, size=2000)
    assert [c.customer_no for c in page.items] == ["86000020"]
    assert [c.customer_no async for c in manager.customers.iterate()] == ["86000020"]
    number = await manager.customers.register(
        phone="13200000092", phone_area="+86", password="a123456", country="CN", accounts={1: ["USDT"]}
    )
    assert number == "86021976"
    assert (await manager.customers.get("86000020", 21)).customer_no == "86000020"
    assert (await manager.customers.groups())[0].name == "default"
    accounts = await manager.accounts.list("86000188", 1)
    assert accounts[0].balance == Decimal("47.319290")
    proposal = await manager.accounts.update_balance("86000188", currency="USDT", trade_type=1, amount="5.50")
    assert proposal == "A20221212686244"

    assert server.auth_calls == 1
    assert all(r.encrypted and r.headers["trace"].startswith("x-") for r in server.received)
    assert server.last(PAGE).body == {"current": 1, "size": 2000}
    assert server.last("config.admin.AdminAssetsDubboService.getAssetsList").body == {"companyId": str(COMPANY)}
    assert server.last(REGISTER).body == {
        "phone": "13200000092",
        "phoneArea": "+86",
        "pwd": "dc483e80a7a0bd9ef71d8cf973673924",
        "country": "CN",
        "registerSource": 3,
        "customerGroupId": 1,
        "tradeTypeCurrencyList": [{"tradeType": "1", "allCurrency": "USDT"}],
    }
    assert server.last("customer.admin.WhiteCustomerAdminApiService.detail").body == {
        "type": "baseInfo",
        "id": "21",
        "customerNo": "86000020",
    }
    assert server.last(BALANCE).body == {
        "customerNo": "86000188",
        "accountCurrency": "USDT",
        "tradeType": 1,
        "amount": "5.50",
        "businessType": 4,
        "withdraw": True,
    }


async def test_plain_bodies_when_encryption_is_off(server: ContractServer, manager_options: dict[str, Any]) -> None:
    async with AsyncManagerClient(
        ManagerCredentials(APP_ID, APP_SECRET), server.url, encrypt=False, **manager_options
    ) as client:
        await client.customers.list()
    (received,) = server.received
    assert not received.encrypted
    assert received.headers["trace"].startswith("t-")


async def test_unknown_public_key_means_plain_bodies(server: ContractServer, manager: AsyncManagerClient) -> None:
    server.public_key = None
    await manager.customers.list()
    assert not server.last(PAGE).encrypted


# An RSA-512 public key: too short for the 100-character pieces the body is encrypted in.
SHORT_KEY = (
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANB4soff63pVgEimlTEcT9GndC0EYzvshzoQtSJv68Xttr5yEfJ4kENZ5NQ2M4zhdL43HKwbWJnM"
    "6IDDzK+uIckCAwEAAQ=="
)


def test_a_given_key_too_short_to_encrypt_with_is_refused_when_the_client_is_made() -> None:
    with pytest.raises(ConfigurationError, match="512-bit"):
        AsyncManagerClient(ManagerCredentials(APP_ID, APP_SECRET, SHORT_KEY))


@pytest.mark.parametrize("public_key", ["not a key", SHORT_KEY])
async def test_an_unusable_public_key_in_the_auth_answer_is_a_bad_answer(
    server: ContractServer, manager: AsyncManagerClient, public_key: str
) -> None:
    server.public_key = public_key
    with pytest.raises(ResponseFormatError, match="publicKey") as caught:
        await manager.customers.list()
    assert caught.value.trace is not None
    assert caught.value.biz_type == "admin.admin.CompanyAuthDubboService.auth"
    assert server.received == []


async def test_expired_token_is_refreshed_once_for_many_concurrent_calls(
    manager: AsyncManagerClient, server: ContractServer
) -> None:
    await manager.customers.list()
    server.expire_tokens()
    async with anyio.create_task_group() as tg:
        for _ in range(25):
            tg.start_soon(manager.customers.list)
    assert server.auth_calls == 2
    assert server.count(PAGE) == 26


async def test_a_failed_auth_call_fails_every_call_that_waited_for_it(
    server: ContractServer, manager_options: dict[str, Any]
) -> None:
    server.fault[AUTH] = "drop"
    options = {**manager_options, "max_retries": 0}
    async with AsyncManagerClient(ManagerCredentials(APP_ID, APP_SECRET), server.url, **options) as client:
        failures: list[BaseException] = []

        async def call() -> None:
            try:
                await client.customers.list()
            except APIConnectionError as exc:
                failures.append(exc)

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(call)
        assert (len(failures), server.auth_calls) == (10, 1)
        del server.fault[AUTH]
        await client.customers.list()  # a later call fetches again
    assert server.auth_calls == 2


async def test_a_token_refused_again_after_renewal_raises(manager: AsyncManagerClient, server: ContractServer) -> None:
    await manager.customers.list()
    server.refuse_tokens = True
    with pytest.raises(LoginExpiredError):
        await manager.customers.list()
    assert server.auth_calls == 2


@pytest.mark.parametrize("fault", ["drop", "500"])
async def test_a_balance_update_with_a_lost_answer_is_never_sent_twice(
    manager: AsyncManagerClient, server: ContractServer, fault: str
) -> None:
    server.fault[BALANCE] = fault
    with pytest.raises(OutcomeUnknownError) as caught:
        await manager.accounts.update_balance("86000188", currency="USDT", trade_type=1, amount=5)
    assert server.count(BALANCE) == 1
    message = str(caught.value)
    assert "may have been applied" in message
    assert "accounts.list('86000188', 1)" in message


async def test_a_balance_update_whose_token_was_lost_says_it_was_not_sent(
    manager: AsyncManagerClient, server: ContractServer
) -> None:
    server.fault[AUTH] = "drop"
    with pytest.raises(APIConnectionError):
        await manager.accounts.update_balance("86000188", currency="USDT", trade_type=1, amount=5)
    assert server.count(BALANCE) == 0


async def test_the_limit_is_per_endpoint(server: ContractServer) -> None:
    """One request per minute per endpoint: calls to different endpoints do not wait for each other."""
    options = {"rate_limit": RateLimit(1, 60.0), "strict": True, "trust_env": False}
    async with AsyncManagerClient(ManagerCredentials(APP_ID, APP_SECRET), server.url, **options) as client:
        with anyio.fail_after(10):
            await client.customers.list()
            await client.catalog.dictionaries("USDT")
            await client.customers.groups()
    assert len(server.received) == 3


async def test_bad_input_is_refused_before_anything_is_sent(
    manager: AsyncManagerClient, server: ContractServer
) -> None:
    with pytest.raises(ValidationError, match="size"):
        await manager.customers.list(size=2001)
    with pytest.raises(ValidationError, match="amount"):
        await manager.accounts.update_balance("1", currency="USDT", trade_type=1, amount=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="accounts"):
        await manager.customers.register(phone="13200000092", password="x", country="CN", accounts={})
    assert server.auth_calls == 0


@pytest.mark.parametrize(
    "amount",
    ["\u0661", "1_000", "1e400", Decimal("1E+400"), "1000000000000000000", "0.0000000000000000001", "-1e3", True],
)
async def test_an_amount_that_is_not_plain_decimal_within_the_bounds_is_refused_before_anything_is_sent(
    manager: AsyncManagerClient, server: ContractServer, amount: Any
) -> None:
    """Decimal() reads an Arabic-Indic 1 and 1_000; 1e400 was applied, and the balance then read as None."""
    with pytest.raises(ValidationError) as caught:
        await manager.accounts.update_balance("86000188", currency="USDT", trade_type=1, amount=amount)
    assert caught.value.field == "amount"
    assert server.auth_calls == 0 and server.count(BALANCE) == 0


async def test_service_errors_keep_their_type(manager: AsyncManagerClient, server: ContractServer) -> None:
    server.errors[REGISTER] = ("USCUSTOMER_API_0000106", "mobile already exists")
    with pytest.raises(CustomerExistsError):
        await manager.customers.register(phone="13200000092", password="x", country="CN", accounts={1: "USDT"})


def test_credentials_from_env_and_repr_hide_secrets() -> None:
    env = {"MULTIMARKETS_MANAGER_APP_ID": "id", "MULTIMARKETS_MANAGER_APP_SECRET": "s3cr3t"}
    credentials = ManagerCredentials.from_env(env)
    assert credentials == ManagerCredentials("id", "s3cr3t")
    assert "s3cr3t" not in repr(credentials)
    assert "s3cr3t" not in repr(AsyncManagerClient(credentials))
    with pytest.raises(ConfigurationError, match="MULTIMARKETS_MANAGER_APP_SECRET"):
        ManagerCredentials.from_env({"MULTIMARKETS_MANAGER_APP_ID": "id"})


async def test_account_codes_are_enums_and_an_unknown_one_degrades_unless_strict(
    server: ContractServer, manager_options: dict[str, Any]
) -> None:
    accounts = "customer.admin.CustomerAdminApiService.queryAccountList"
    credentials = ManagerCredentials(APP_ID, APP_SECRET)
    async with AsyncManagerClient(credentials, server.url, **manager_options) as strict:
        (account,) = await strict.accounts.list("86000188", 1)
        assert (account.status, account.activate_status, account.type) == (
            AccountStatus.AVAILABLE,
            AccountStatus.AVAILABLE,
            AccountKind.USER,
        )
        server.answers[accounts] = [{**ACCOUNT, "status": 9, "type": 7}]
        with pytest.raises(ResponseFormatError, match="status"):
            await strict.accounts.list("86000188", 1)
    async with AsyncManagerClient(credentials, server.url, **{**manager_options, "strict": False}) as tolerant:
        (account,) = await tolerant.accounts.list("86000188", 1)
    assert (account.status.name, account.status, account.type.name, account.type) == ("UNKNOWN", 9, "UNKNOWN", 7)
    assert account.balance == Decimal("47.319290")
