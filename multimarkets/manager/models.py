# mypy: disable-error-code="misc"
"""Manager API request and response models (reference manager-api §5). Where an endpoint shares its bizType
and documented shape with the Bridge API (dictionaries, currencies, products, the customer list and detail),
the Bridge models are used as they are."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ..errors import ValidationError
from ..models._answer import Answer
from ..models._checks import checked, decimal_amount, optional_text, page_number, positive_int, text
from ..models.catalog import Product
from ..models.customers import AddCustomerRequest
from ..models.enums import AccountKind, AccountStatus, CustomerGroupType

__all__ = [
    "MAX_PAGE_SIZE",
    "AddCustomerKycRequest",
    "BalanceUpdateRequest",
    "CustomerGroup",
    "DetailType",
    "ManagerAccount",
    "ManagerCustomerDetailRequest",
    "ManagerCustomerListRequest",
    "ManagerProduct",
    "QueryAccountsRequest",
    "TradeTypeCurrencies",
]

MAX_PAGE_SIZE = 2000
"""The largest customer list page the service serves (reference §5.5)."""


def _decimal(value: Any, field: str) -> Decimal:
    """A :func:`~multimarkets.models._checks.decimal_amount` other than zero (negative: a claw-back)."""
    number = decimal_amount(value, field)
    if number == 0:
        raise ValidationError(field, "must be an amount other than zero")
    return number


@attrs.frozen
class TradeTypeCurrencies:
    """One trading mode to open accounts in at registration and the currencies of those accounts, e.g.
    ``TradeTypeCurrencies(1, ["USDT"])`` (1 contract full position, 2 isolated, 3 leverage, 5 spot)."""

    trade_type: str = attrs.field(converter=checked(positive_int, then=str))
    all_currency: str = attrs.field(converter=checked(lambda v, f: text(v if isinstance(v, str) else ",".join(v), f)))


@attrs.frozen(kw_only=True)
class AddCustomerKycRequest:
    """Body of "customer registration" (§5.6): the Bridge registration fields plus the trading accounts to open
    and the attribution fields."""

    customer: AddCustomerRequest = attrs.field(metadata={"inline": True})
    trade_type_currency_list: tuple[TradeTypeCurrencies, ...]
    register_device: str | None = attrs.field(default=None, converter=checked(optional_text))
    utm_source: str | None = attrs.field(default=None, converter=checked(optional_text))
    utm_medium: str | None = attrs.field(default=None, converter=checked(optional_text))
    utm_campaign: str | None = attrs.field(default=None, converter=checked(optional_text))
    utm_content: str | None = attrs.field(default=None, converter=checked(optional_text))
    utm_term: str | None = attrs.field(default=None, converter=checked(optional_text))
    third_server_code: str | None = attrs.field(default=None, converter=checked(optional_text))

    def __attrs_post_init__(self) -> None:
        if not self.trade_type_currency_list:
            raise ValidationError("accounts", "give at least one trading mode and its currencies")
        if self.third_server_code is not None and len(self.third_server_code) > 50:
            raise ValidationError("third_server_code", "is at most 50 characters long")


@attrs.frozen(kw_only=True)
class ManagerCustomerListRequest:
    """Body of the customer list (§5.5): ``current`` and ``size`` are numbers here, ``size`` at most 2,000."""

    page: int = attrs.field(converter=checked(page_number), metadata={"wire": "current"})
    size: int = attrs.field(converter=checked(lambda v, f: page_number(v, f, high=MAX_PAGE_SIZE)))
    customer_no: str | None = attrs.field(default=None, converter=checked(optional_text))


class DetailType:
    """What :meth:`~multimarkets.manager.resources.customers.AsyncManagerCustomers.get` may ask for (§5.7)."""

    BASE_INFO = "baseInfo"
    TRADE_ACCOUNT = "tradeAccount"
    KYC = "kyc"
    ALL_KYC = "allKyc"
    BANK_LIST = "bankList"
    WALLET_LIST = "walletList"
    OTHER_INFO = "otherInfo"
    ALL = (BASE_INFO, TRADE_ACCOUNT, KYC, ALL_KYC, BANK_LIST, WALLET_LIST, OTHER_INFO)


@attrs.frozen(kw_only=True)
class ManagerCustomerDetailRequest:
    """Body of "customer info" (§5.7): ``type``, ``id`` and ``customerNo`` are all required strings."""

    type: str = attrs.field(converter=checked(lambda v, f: one_of_text(v, f, DetailType.ALL)))
    customer_id: str = attrs.field(converter=checked(lambda v, f: text(str(v), f)), metadata={"wire": "id"})
    customer_no: str = attrs.field(converter=checked(text))


def one_of_text(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise ValidationError(field, f"must be one of {', '.join(allowed)}")
    return str(value)


@attrs.frozen(kw_only=True)
class QueryAccountsRequest:
    """Body of "account info" / "get balance" (§5.9)."""

    customer_no: str = attrs.field(converter=checked(text))
    trade_type: int = attrs.field(converter=checked(positive_int))


@attrs.frozen(kw_only=True)
class BalanceUpdateRequest:
    """Body of "balance update" (§5.10); ``businessType`` 4 and ``withdraw`` true are fixed by the docs.

    ASSUMPTION (reference §3.3 step 2, §8 item 6): ``amount`` travels as an exact decimal string, so that the
    signed text and the server's parsed value cannot differ; the docs type it as a number."""

    customer_no: str = attrs.field(converter=checked(text))
    account_currency: str = attrs.field(converter=checked(text))
    trade_type: int = attrs.field(converter=checked(positive_int))
    amount: Decimal = attrs.field(converter=checked(_decimal))
    account_id: int | None = attrs.field(default=None, converter=checked(positive_int, optional=True))
    remark: str | None = attrs.field(default=None, converter=checked(optional_text))
    business_type: int = 4
    withdraw: bool = True


@attrs.frozen
class ManagerProduct(Product):
    """A product as the Manager API types it (§5.4): integers where the Bridge API's samples send a decimal
    (``point_ratio``) or booleans (the loan and dividend flags, 1 = yes)."""

    point_ratio: int | None = None  # type: ignore[assignment]
    enable_short_loan: int | None = None  # type: ignore[assignment]
    enable_long_loan: int | None = None  # type: ignore[assignment]
    dividend: int | None = None  # type: ignore[assignment]


@attrs.frozen
class CustomerGroup(Answer):
    """A customer group (§5.8): ``type`` 0 real, 1 test, 2 guest; ``assets`` the currencies it opens."""

    id: int
    name: str | None = None
    type: CustomerGroupType | None = None
    open_account_type: int | None = None
    trade_type: int | None = None
    assets: str | None = None


@attrs.frozen
class ManagerAccount(Answer):
    """A customer's trading account and its balances (§5.9); amounts are exact decimals."""

    account_id: int
    currency: str
    trade_type: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    company_id: int | None = None
    assets_id: int | None = None
    digits: int | None = None
    balance: Decimal | None = None
    available: Decimal | None = None
    frozen: Decimal | None = None
    equity: Decimal | None = None
    net_assets: Decimal | None = None
    withdraw_amount: Decimal | None = None
    not_withdraw_amount: Decimal | None = None
    lock_amount: Decimal | None = None
    lock_margin: Decimal | None = None
    margin: Decimal | None = None
    free_margin: Decimal | None = None
    margin_radio: Decimal | None = None
    profit: Decimal | None = None
    liabilities: Decimal | None = None
    liabilities_principal: Decimal | None = None
    interest: Decimal | None = None
    interest_proportion: Decimal | None = None
    available_loan: Decimal | None = None
    collateral_frozen: Decimal | None = None
    whole_warehouse_balance: Decimal | None = None
    whole_warehouse_rate: Decimal | None = None
    status: AccountStatus | None = None
    activate_status: AccountStatus | None = None
    open_account_status: bool | None = None
    type: AccountKind | None = None
    remark: str | None = None
    activate_time: datetime | None = None
    create_time: datetime | None = None
    first_deposit_time: datetime | None = None
    first_withdraw_time: datetime | None = None
