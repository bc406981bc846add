"""Account management (reference §6.9-§6.11): customers' exchange accounts (their exchange API keys).

Choices where the reference is silent:

- An account name is unique per customer and exchange: trading calls address an account by ``customerNo`` +
  ``exchangeId`` + ``accountName``. A second one is ``USCUSTOMER_API_00011003`` ("The API label already
  exists"). A customer that does not exist in the caller's company is ``USCUSTOMER_API_0000003``; a cancelled
  or cancelling one gets no new account (``USCUSTOMER_API_0000004``).
- ``certificate`` (hex text) is required for Cumberland (``USCUSTOMER_API_0000501`` when missing).
- The exchange secret key, passphrase and certificate are never stored, only whether they were given; the
  API key comes back masked (``abcd****wxyz``). Add and edit answer no data, as documented.
- ``getPage`` answers the page object of §3 (``current``/``records``/``size``/``total``), newest first,
  ``size`` default 20, capped at 2000; record ``id`` is a string, the type ``edit`` takes it in.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from .. import codes
from ..context import BizError, Handler, RequestContext
from ..state import CUSTOMER_CANCELLED, Customer, Store, Table
from ._validate import company_id_value, invalid, optional_int, optional_str, page_of, require_str

__all__ = ["HANDLERS", "DirectAccount", "accounts_of", "find_trading_account"]

SERVICE = "customer.admin.CustomerDirectAccAdminApiService"

API_LABEL_EXISTS = "USCUSTOMER_API_00011003"
MANDATORY_PARAM = "USCUSTOMER_API_0000501"
_STATUS_CANCELLING = 6
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 2000

_EXCHANGES = ("binance", "okx", "cumberland")
_ACCOUNT_TYPES = ("spot", "futures")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_ID = re.compile(r"\d{1,18}")


@attrs.frozen
class DirectAccount:
    """One exchange account of a customer; secrets are kept only as "given or not"."""

    id: int
    company_id: str
    customer_no: str
    customer_id: int
    exchange_code: str
    account_type: str
    account_name: str
    api_key: str
    has_passphrase: bool
    has_certificate: bool
    is_test: int
    create_time: int
    update_time: int


def accounts_of(store: Store) -> Table[DirectAccount]:
    """The table of exchange accounts."""
    return store.table("direct_accounts", DirectAccount)


def find_trading_account(
    store: Store, company_id: str, customer_no: str, exchange: str, name: str
) -> DirectAccount | None:
    """The account a trading call names, if it exists in this company."""
    for account in accounts_of(store).values():
        if (
            account.company_id == company_id
            and account.customer_no == customer_no
            and account.exchange_code == exchange
            and account.account_name == name
        ):
            return account
    return None


def _masked(api_key: str) -> str:
    return api_key[:4] + "****" + api_key[-4:] if len(api_key) > 8 else "****"


def _customer(ctx: RequestContext, customer_no: str) -> Customer:
    customer = ctx.store.customers.get(customer_no)
    if customer is None or customer.company_id != ctx.company_id:
        raise BizError(codes.DATA_NOT_EXIST)
    return customer


def _name_taken(ctx: RequestContext, customer_no: str, exchange: str, name: str, *, other_than: int | None) -> bool:
    existing = find_trading_account(ctx.store, ctx.company_id, customer_no, exchange, name)
    return existing is not None and existing.id != other_than


def _certificate(body: dict[str, Any]) -> str | None:
    return optional_str(body, "certificate", pattern=_HEX)


async def add(ctx: RequestContext, body: dict[str, Any]) -> None:
    """Attach an exchange account to a customer."""
    customer_no = require_str(body, "customerNo")
    exchange = require_str(body, "exchangeCode")
    if exchange not in _EXCHANGES:
        raise invalid("exchangeCode", f"must be one of {', '.join(_EXCHANGES)}")
    account_type = require_str(body, "accountType")
    if account_type not in _ACCOUNT_TYPES:
        raise invalid("accountType", "must be spot or futures")
    name = require_str(body, "accountName")
    api_key = require_str(body, "accountApiKey")
    require_str(body, "accountSecretKey")
    passphrase = optional_str(body, "passphrase")
    certificate = _certificate(body)
    is_test = optional_int(body, "isTest", low=0, high=1) or 0
    if exchange == "cumberland" and certificate is None:
        raise BizError(MANDATORY_PARAM, "Mandatory param cannot be null: certificate")
    customer = _customer(ctx, customer_no)
    if customer.status in (CUSTOMER_CANCELLED, _STATUS_CANCELLING):
        raise BizError(codes.ACTION_NOT_ALLOWED)
    if _name_taken(ctx, customer_no, exchange, name, other_than=None):
        raise BizError(API_LABEL_EXISTS, "The API label already exists")
    account_id = ctx.store.next_number("direct_account", 5001)
    accounts_of(ctx.store).put(
        str(account_id),
        DirectAccount(
            id=account_id,
            company_id=ctx.company_id,
            customer_no=customer_no,
            customer_id=customer.id,
            exchange_code=exchange,
            account_type=account_type,
            account_name=name,
            api_key=api_key,
            has_passphrase=passphrase is not None,
            has_certificate=certificate is not None,
            is_test=is_test,
            create_time=ctx.now_ms,
            update_time=ctx.now_ms,
        ),
    )


async def edit(ctx: RequestContext, body: dict[str, Any]) -> None:
    """Change the name or keys of an account record."""
    record_id = require_str(body, "id", pattern=_ID)
    account = accounts_of(ctx.store).get(record_id)
    if account is None or account.company_id != ctx.company_id:
        raise BizError(codes.DATA_NOT_EXIST)
    name = optional_str(body, "accountName")
    api_key = optional_str(body, "accountApiKey")
    optional_str(body, "accountSecretKey")
    passphrase = optional_str(body, "passphrase")
    certificate = _certificate(body)
    if name is not None and _name_taken(ctx, account.customer_no, account.exchange_code, name, other_than=account.id):
        raise BizError(API_LABEL_EXISTS, "The API label already exists")
    updated = attrs.evolve(
        account,
        account_name=name or account.account_name,
        api_key=api_key or account.api_key,
        has_passphrase=account.has_passphrase or passphrase is not None,
        has_certificate=account.has_certificate or certificate is not None,
        update_time=ctx.now_ms,
    )
    accounts_of(ctx.store).put(record_id, updated)


def _record(a: DirectAccount) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "companyId": company_id_value(a.company_id),
        "customerId": a.customer_id,
        "customerNo": a.customer_no,
        "exchangeCode": a.exchange_code,
        "accountType": a.account_type,
        "accountName": a.account_name,
        "accountApiKey": _masked(a.api_key),
        "isTest": a.is_test,
    }


async def get_page(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """One page of the company's exchange accounts, newest first."""
    filters = {
        "customer_no": optional_str(body, "customerNo"),
        "exchange_code": optional_str(body, "exchangeCode"),
        "account_type": optional_str(body, "accountType"),
        "account_name": optional_str(body, "accountName"),
    }
    current = optional_int(body, "current", low=1, digits_ok=True) or 1
    size = min(optional_int(body, "size", low=1, digits_ok=True) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    matches = [
        a
        for a in reversed(accounts_of(ctx.store).values())
        if a.company_id == ctx.company_id
        and all(value is None or getattr(a, name) == value for name, value in filters.items())
    ]
    return page_of(matches, current, size, _record)


HANDLERS: dict[str, Handler] = {
    f"{SERVICE}.add": add,
    f"{SERVICE}.edit": edit,
    f"{SERVICE}.getPage": get_page,
}
