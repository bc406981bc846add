"""client.accounts: add, update, list, iterate."""

from __future__ import annotations

import json

import pytest

from multimarkets import Account, AccountType, APIError, ExchangeCode, NotFoundError, ValidationError
from multimarkets.models.accounts import AddAccountRequest
from multimarkets.resources.accounts import ADD_ACCOUNT, LIST_ACCOUNTS, UPDATE_ACCOUNT

pytestmark = pytest.mark.anyio

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


async def add(client, customer_no, name="main", exchange="binance", **options):
    await client.accounts.add(
        customer_no,
        exchange_code=exchange,
        account_type=options.pop("account_type", "spot"),
        account_name=name,
        api_key=API_KEY,
        secret_key=SECRET,
        **options,
    )


async def test_add_sends_the_documented_body(client, recorder, customer_no):
    assert await add(client, customer_no, passphrase="okx-pass", exchange="okx", is_test=True) is None
    assert recorder.last(ADD_ACCOUNT).body == {
        "customerNo": customer_no,
        "exchangeCode": "okx",
        "accountType": "spot",
        "accountName": "main",
        "accountApiKey": API_KEY,
        "accountSecretKey": SECRET,
        "passphrase": "okx-pass",
        "isTest": 1,
    }
    await add(client, customer_no, name="second")
    assert recorder.last(ADD_ACCOUNT).body["isTest"] == 0


async def test_cumberland_takes_a_hex_certificate(client, recorder, customer_no):
    await add(client, customer_no, exchange="cumberland", certificate="3082010a0282")
    assert recorder.last(ADD_ACCOUNT).body["certificate"] == "3082010a0282"


async def test_list_parses_records_and_never_echoes_secrets(client, recorder, customer_no):
    await add(client, customer_no, name="main")
    await add(client, customer_no, name="hedge", account_type=AccountType.FUTURES)
    page = await client.accounts.list(customer_no)
    assert recorder.last(LIST_ACCOUNTS).body == {"customerNo": customer_no, "current": "1", "size": "20"}
    assert page.total == 2 and not page.has_next
    hedge, main = page.items
    assert isinstance(main, Account)
    assert (main.customer_no, main.exchange_code, main.account_type, main.account_name) == (
        customer_no,
        ExchangeCode.BINANCE,
        AccountType.SPOT,
        "main",
    )
    assert hedge.account_type is AccountType.FUTURES
    assert main.id and main.id != hedge.id and main.is_test == 0
    wire = json.dumps([dict(a.raw) for a in page.items])
    assert SECRET not in wire and API_KEY not in wire
    assert main.account_api_key == API_KEY[:4] + "****" + API_KEY[-4:]
    assert API_KEY[:8] not in repr(main)


async def test_list_filters_are_strings_on_the_wire(client, recorder, customer_no):
    await add(client, customer_no, name="a", exchange="binance")
    await add(client, customer_no, name="b", exchange="okx")
    page = await client.accounts.list(exchange_code=ExchangeCode.OKX, account_type="spot", page=1, size=5)
    assert recorder.last(LIST_ACCOUNTS).body == {
        "current": "1",
        "size": "5",
        "exchangeCode": "okx",
        "accountType": "spot",
    }
    assert [a.account_name for a in page.items] == ["b"]


async def test_iterate_walks_every_page(client, recorder, customer_no):
    names = {f"acc{n}" for n in range(5)}
    for name in sorted(names):
        await add(client, customer_no, name=name)
    before = recorder.count(LIST_ACCOUNTS)
    seen = [a.account_name async for a in client.accounts.iterate(customer_no, size=2)]
    assert sorted(seen) == sorted(names)
    assert recorder.count(LIST_ACCOUNTS) - before == 3


async def test_update(client, recorder, customer_no):
    await add(client, customer_no)
    (account,) = (await client.accounts.list(customer_no)).items
    await client.accounts.update(int(account.id), account_name="renamed", secret_key="new-secret")
    assert recorder.last(UPDATE_ACCOUNT).body == {
        "id": account.id,
        "accountName": "renamed",
        "accountSecretKey": "new-secret",
    }
    (updated,) = (await client.accounts.list(customer_no)).items
    assert (updated.id, updated.account_name) == (account.id, "renamed")


async def test_duplicate_account_name_is_refused(client, customer_no):
    await add(client, customer_no)
    with pytest.raises(APIError) as caught:
        await add(client, customer_no)
    assert caught.value.code == "USCUSTOMER_API_00011003"
    assert caught.value.after_ambiguous is False


async def test_unknown_customer_and_unknown_record(client):
    with pytest.raises(NotFoundError):
        await add(client, "86999999")
    with pytest.raises(NotFoundError):
        await client.accounts.update("424242", account_name="x")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"exchange_code": "kraken"}, "exchange_code"),
        ({"account_type": "margin"}, "account_type"),
        ({"account_name": ""}, "account_name"),
        ({"api_key": " "}, "api_key"),
        ({"secret_key": None}, "secret_key"),
        ({"exchange_code": "cumberland"}, "certificate"),
        ({"certificate": "not hex"}, "certificate"),
        ({"is_test": 1}, "is_test"),
    ],
)
async def test_add_validates_before_sending(client, requests_sent, options, field):
    arguments = {
        "exchange_code": "binance",
        "account_type": "spot",
        "account_name": "main",
        "api_key": API_KEY,
        "secret_key": SECRET,
        **options,
    }
    before = requests_sent()
    with pytest.raises(ValidationError) as caught:
        await client.accounts.add("86000001", **arguments)
    assert caught.value.field == field
    assert SECRET not in str(caught.value)
    assert requests_sent() == before


async def test_update_and_list_validate_before_sending(client, requests_sent):
    before = requests_sent()
    with pytest.raises(ValidationError, match="at least one"):
        await client.accounts.update("5001")
    with pytest.raises(ValidationError):
        await client.accounts.update("", account_name="x")
    with pytest.raises(ValidationError):
        await client.accounts.list(exchange_code="nope")
    with pytest.raises(ValidationError):
        [a async for a in client.accounts.iterate(size=0)]
    assert requests_sent() == before


def test_request_repr_hides_secrets():
    request = AddAccountRequest(
        customer_no="86000001",
        exchange_code="okx",
        account_type="spot",
        account_name="main",
        api_key=API_KEY,
        secret_key=SECRET,
        passphrase="pass-phrase",
    )
    assert SECRET not in repr(request) and API_KEY not in repr(request) and "pass-phrase" not in repr(request)
