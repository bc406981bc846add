"""Every text field sent refuses control characters and overlong values, naming the field, before anything is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from multimarkets import AsyncBridgeClient, TradingAccount, ValidationError
from multimarkets.models._checks import DEFAULT_MAX_LENGTH, MAX_LENGTH

pytestmark = pytest.mark.anyio

ACCOUNT = TradingAccount("binance", "main", "86000001")
SECRET = "s3cr3t-value-0123456789"
REGISTER: dict[str, Any] = {"phone": "13200000092", "password": "a123456", "country": "CN", "register_source": 1}
ADD: dict[str, Any] = {
    "exchange_code": "binance",
    "account_type": "spot",
    "account_name": "main",
    "api_key": "k",
    "secret_key": "s",
}
LONG_EMAIL = "a" * (MAX_LENGTH["email"] - len("@example.com") + 1) + "@example.com"

Call = Callable[[AsyncBridgeClient], Awaitable[Any]]

CASES: list[tuple[str, Call, str]] = [
    ("NUL in the phone", lambda c: c.customers.register(**{**REGISTER, "phone": "1320\x000092"}), "phone"),
    ("e-mail over 254", lambda c: c.customers.register(**{**REGISTER, "email": LONG_EMAIL}), "email"),
    ("newline in the remark", lambda c: c.customers.register(**REGISTER, remark="vip\nsecond line"), "remark"),
    ("remark over 500", lambda c: c.customers.register(**REGISTER, remark="r" * 501), "remark"),
    (
        "password ending in a newline",
        lambda c: c.customers.register(**{**REGISTER, "password": SECRET + "\n"}),
        "password",
    ),
    ("password over 128", lambda c: c.customers.register(**{**REGISTER, "password": "p" * 129}), "password"),
    ("NUL in a customer number", lambda c: c.customers.get("8600\x000001"), "customer_no"),
    ("escape in a cancel remark", lambda c: c.customers.cancel("86000001", remark="\x1b[31mred"), "remark"),
    ("list filter over 128", lambda c: c.customers.list("8" * (DEFAULT_MAX_LENGTH + 1)), "customer_no"),
    (
        "NUL in an account name",
        lambda c: c.accounts.add("86000001", **{**ADD, "account_name": "ma\x00in"}),
        "account_name",
    ),
    (
        "CR LF in a secret key",
        lambda c: c.accounts.add("86000001", **{**ADD, "secret_key": SECRET + "\r\n"}),
        "secret_key",
    ),
    ("API key over 512", lambda c: c.accounts.add("86000001", **{**ADD, "api_key": "k" * 513}), "api_key"),
    ("tab in a passphrase", lambda c: c.accounts.update("1024", passphrase="pass\tphrase"), "passphrase"),
    ("line separator in a name", lambda c: c.accounts.list(account_name="main\u2028x"), "account_name"),
    ("DEL in a transaction id", lambda c: c.trading.deposits(ACCOUNT, tx_id="0x5f\x7f"), "tx_id"),
    ("newline in a currency", lambda c: c.trading.balances(ACCOUNT, currencies=["USDT", "BTC\n"]), "currencies"),
    ("C1 control in an order id", lambda c: c.trading.get_order(ACCOUNT, 59, order_id="284\x85"), "order_id"),
    ("NUL in a dictionary code", lambda c: c.catalog.dictionaries("phone_code\x00"), "parent_code"),
    ("newline in a webhook URL", lambda c: c.webhooks.subscribe("https://hooks.example/\nx"), "webhook_url"),
    ("webhook URL over 2048", lambda c: c.webhooks.subscribe("https://hooks.example/" + "x" * 2048), "webhook_url"),
    # A lone surrogate cannot be encoded as UTF-8: it used to escape as a UnicodeEncodeError.
    ("lone surrogate in an e-mail", lambda c: c.customers.register(**REGISTER, email="a\ud800@example.com"), "email"),
    ("lone surrogate in a remark", lambda c: c.customers.register(**REGISTER, remark="\udfff"), "remark"),
    # Numbers the service (Java longs) cannot take, and digits int() reads but nobody means.
    ("group id over 64 bits", lambda c: c.customers.register(**REGISTER, customer_group_id=2**63), "customer_group_id"),
    (
        "superscript group id",
        lambda c: c.customers.register(**REGISTER, customer_group_id="\u00b2"),
        "customer_group_id",
    ),
    ("Arabic-Indic page", lambda c: c.customers.list(page="\u0661"), "page"),
    ("endless page digits", lambda c: c.customers.list(page="9" * 5000), "page"),
    (
        "source beyond int()",
        lambda c: c.customers.register(**{**REGISTER, "register_source": 10**5000}),
        "register_source",
    ),
    ("time beyond 64 bits", lambda c: c.trading.deposits(ACCOUNT, start_time=10**5000), "start_time"),
    ("account id beyond int()", lambda c: c.accounts.update(10**5000, account_name="x"), "account_id"),
]


@pytest.mark.parametrize(("call", "field"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
async def test_bad_text_is_refused_locally(
    client: AsyncBridgeClient, requests_sent: Callable[[], int], call: Call, field: str
) -> None:
    before = requests_sent()
    with pytest.raises(ValidationError) as caught:
        await call(client)
    assert caught.value.field == field
    assert SECRET not in str(caught.value)
    assert requests_sent() == before


def test_a_trading_account_refuses_control_characters_at_construction() -> None:
    with pytest.raises(ValidationError) as caught:
        TradingAccount("binance", "main\n", "86000001")
    assert caught.value.field == "account_name"


async def test_the_longest_allowed_values_are_sent(client: AsyncBridgeClient, requests_sent: Callable[[], int]) -> None:
    before = requests_sent()
    email = "a" * (MAX_LENGTH["email"] - len("@example.com")) + "@example.com"
    assert len(email) == 254
    await client.customers.register(email=email, password="a123456", country="CN", register_source=1, remark="r" * 500)
    assert requests_sent() == before + 1
