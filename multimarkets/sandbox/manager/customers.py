"""Customers: registration with trading accounts, the paged list, details and groups (reference §5.5-§5.8).

Choices where the reference is silent:

- Registration needs a phone or an e-mail (``USCUSTOMER_API_0000105``), ``pwd``, ``country``,
  ``registerSource`` (1-9), ``customerGroupId`` and a non-empty ``tradeTypeCurrencyList``; each of its
  modes and currencies must be one the group offers (see :data:`.samples.GROUPS`). A guest group answers
  ``USCUSTOMER_API_0001024``; a phone (per area), e-mail (case-insensitive) or ``thirdServerCode`` already
  registered answers 0000106, 0000107 or 0000101; ``86`` and ``+86`` are one area, stored as ``+86`` (as on the
  Bridge side). One account opens per mode and currency, at zero.
- The list pages oldest first; ``size`` above 2,000 is refused (``GGATEWAY_CODE_015``) rather than cut.
- Details answer the documented ``CustomerAllInfoVO`` whatever the ``type``; ``id`` must be the customer's.
  Strings the sandbox does not know are ``""`` and numbers ``0``, as in the documented template.
"""

from __future__ import annotations

import re
from typing import Any

from ..handlers._validate import (
    invalid,
    optional_area,
    optional_int,
    optional_str,
    page_of,
    require_int,
    require_str,
)
from . import codes
from .context import Endpoint, ManagerContext, biz_error
from .events import open_account_event, register_event
from .samples import ASSET_DIGITS, ASSET_IDS, GROUPS
from .state import Account, Customer, contact_key

__all__ = ["ENDPOINTS", "MAX_PAGE_SIZE"]

MAX_PAGE_SIZE = 2000
FIRST_CUSTOMER_NO = 86000001
FIRST_CUSTOMER_ID = 1001
FIRST_ACCOUNT_ID = 1000001
DETAIL_TYPES = frozenset({"baseInfo", "tradeAccount", "kyc", "allKyc", "bankList", "walletList", "otherInfo"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MD5_HEX = re.compile(r"[0-9a-fA-F]{32}")


_UNKNOWN_RECORD_TEXTS = (
    "agentCustomerNo",
    "firstName",
    "idCard",
    "idCardType",
    "lastName",
    "name",
    "tgUserId",
    "tgUserName",
    "thirdAccountNo",
    "thirdLoginSource",
    "thirdUserId",
    "unitName",
)
_UNKNOWN_RECORD_NUMBERS = ("customerType", "loginTime", "openAccountType", "unitId")
_UNKNOWN_DETAIL_TEXTS = (
    "accountRemark",
    "address",
    "apiCheckRule",
    "customerAgentMark",
    "firstName",
    "idCard",
    "idCardType",
    "kycAuditRemark",
    "kycRemark",
    "lastName",
    "name",
    "postalCode",
    "source",
    "thirdIntactMsg",
    "thirdLoginSource",
    "thirdUserId",
    "unitName",
)
_UNKNOWN_DETAIL_NUMBERS = (
    "associationCompanyId",
    "customerType",
    "googleId",
    "isFund",
    "kycAuditStatus",
    "kycStatus",
    "loginTime",
    "openAccountType",
    "optional",
    "relationCustomerId",
    "type",
    "unitId",
)


def _contact(customer: Customer) -> dict[str, str]:
    return {
        "email": customer.email or "",
        "phone": customer.phone or "",
        "phoneArea": customer.phone_area or "",
    }


def _group_rows(group_id: int) -> list[dict[str, Any]]:
    rows = [g for g in GROUPS if g["id"] == group_id]
    if not rows:
        raise invalid("customerGroupId", "is not a customer group")
    if rows[0]["type"] == 2:
        raise biz_error(codes.TOURIST_GROUP)
    return rows


def _modes(body: dict[str, Any], group_id: int) -> list[tuple[int, str]]:
    """(tradeType, currency) of every account to open."""
    entries = body.get("tradeTypeCurrencyList")
    if not isinstance(entries, list) or not entries:
        raise invalid("tradeTypeCurrencyList", "is required")
    offered = {row["tradeType"]: row["assets"].split(",") for row in _group_rows(group_id)}
    opened: list[tuple[int, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise invalid("tradeTypeCurrencyList", "must hold objects")
        trade_type = optional_int(entry, "tradeType", digits_ok=True)
        currencies = require_str(entry, "allCurrency")
        if trade_type is None or trade_type not in offered:
            raise invalid("tradeTypeCurrencyList.tradeType", "is not offered to this customer group")
        for currency in currencies.split(","):
            if currency not in offered[trade_type]:
                raise invalid("tradeTypeCurrencyList.allCurrency", f"{currency} is not offered in mode {trade_type}")
            if (trade_type, currency) not in opened:
                opened.append((trade_type, currency))
    return opened


async def register(ctx: ManagerContext, body: dict[str, Any]) -> str:
    """``addCusAndOpenAccountAndKyc``: the new customer number."""
    state = ctx.state
    phone = optional_str(body, "phone")
    email = optional_str(body, "email", pattern=_EMAIL)
    if phone is None and email is None:
        raise biz_error(codes.PHONE_OR_EMAIL_REQUIRED)
    phone_area = optional_area(body, "phoneArea")
    email_area = optional_area(body, "emailArea")
    require_str(body, "pwd", pattern=_MD5_HEX)
    country = require_str(body, "country")
    register_source = require_int(body, "registerSource", low=1, high=9)
    group_id = require_int(body, "customerGroupId", low=1)
    modes = _modes(body, group_id)
    third = optional_str(body, "thirdServerCode")
    if third is not None and len(third) > 50:
        raise invalid("thirdServerCode", "is longer than 50 characters")
    company = ctx.company_id
    if phone is not None and state.owner(contact_key("phone", company, phone_area, phone)):
        raise biz_error(codes.PHONE_EXISTS)
    if email is not None and state.owner(contact_key("email", company, email.lower())):
        raise biz_error(codes.EMAIL_EXISTS)
    if third is not None and state.owner(contact_key("third", company, third)):
        raise biz_error(codes.CLIENT_EXISTS)
    store = state.store
    customer = Customer(
        id=store.next_number("manager.customer_id", FIRST_CUSTOMER_ID),
        customer_no=str(store.next_number("manager.customer_no", FIRST_CUSTOMER_NO)),
        company_id=company,
        phone=phone,
        phone_area=phone_area if phone else None,
        email=email,
        email_area=email_area if email else None,
        country=country,
        register_source=register_source,
        customer_group_id=group_id,
        remark=optional_str(body, "remark"),
        register_device=optional_str(body, "registerDevice"),
        utm_source=optional_str(body, "utmSource"),
        third_server_code=third,
        status=1,
        create_time=ctx.now_ms,
        update_time=ctx.now_ms,
    )
    state.add_customer(customer)
    ctx.publish("register", register_event(customer))
    for trade_type, currency in modes:
        digits = 6 if trade_type in (1, 2) else ASSET_DIGITS[currency]
        zero = f"{0:.{digits}f}"
        account = Account(
            account_id=store.next_number("manager.account_id", FIRST_ACCOUNT_ID),
            customer_id=customer.id,
            customer_no=customer.customer_no,
            company_id=company,
            trade_type=trade_type,
            currency=currency,
            assets_id=ASSET_IDS[currency],
            digits=digits,
            balance=zero,
            withdrawable=zero,
            not_withdrawable=zero,
            create_time=ctx.now_ms,
        )
        state.put_account(account)
        ctx.publish("open_account", open_account_event(account))
    return customer.customer_no


def _group_name(group_id: int) -> str:
    return next((str(g["name"]) for g in GROUPS if g["id"] == group_id), "")


def _record(ctx: ManagerContext, customer: Customer) -> dict[str, Any]:
    """One row of the list, keys and types of the documented ``WhiteCustomerAdminPageVO``."""
    accounts = ctx.state.accounts_of(customer.customer_no)
    return {
        **dict.fromkeys(_UNKNOWN_RECORD_TEXTS, ""),
        **dict.fromkeys(_UNKNOWN_RECORD_NUMBERS, 0),
        **_contact(customer),
        "companyId": customer.company_id,
        "createTime": customer.create_time,
        "customerGroupId": customer.customer_group_id,
        "customerGroupName": _group_name(customer.customer_group_id),
        "customerNo": customer.customer_no,
        "firstAccountActivateTime": accounts[0].create_time if accounts else 0,
        "id": customer.id,
        "registerSource": customer.register_source,
        "remark": customer.remark or "",
        "status": customer.status,
        "updateTime": customer.update_time,
    }


async def page(ctx: ManagerContext, body: dict[str, Any]) -> dict[str, Any]:
    """``WhiteCustomerAdminApiService.page``: ``{current, records, size, total}``."""
    customer_no = optional_str(body, "customerNo")
    size = optional_int(body, "size", low=1) or 20
    current = optional_int(body, "current", low=1) or 1
    if size > MAX_PAGE_SIZE:
        raise invalid("size", f"is above {MAX_PAGE_SIZE}")
    customers = ctx.state.company_customers(ctx.company_id)
    if customer_no is not None:
        customers = [c for c in customers if c.customer_no == customer_no]
    return page_of(customers, current, size, lambda customer: _record(ctx, customer))


async def detail(ctx: ManagerContext, body: dict[str, Any]) -> dict[str, Any]:
    """``WhiteCustomerAdminApiService.detail``: the documented ``CustomerAllInfoVO``."""
    kind = require_str(body, "type")
    if kind not in DETAIL_TYPES:
        raise invalid("type", "is not one of " + ", ".join(sorted(DETAIL_TYPES)))
    customer_id = require_str(body, "id")
    customer = ctx.state.customers.get(require_str(body, "customerNo"))
    if customer is None or customer.company_id != ctx.company_id or str(customer.id) != customer_id:
        raise biz_error(codes.DATA_NOT_EXIST)
    accounts = ctx.state.accounts_of(customer.customer_no)
    return {
        **dict.fromkeys(_UNKNOWN_DETAIL_TEXTS, ""),
        **dict.fromkeys(_UNKNOWN_DETAIL_NUMBERS, 0),
        **{key: {} for key in ("accountList", "earlyWarningLevel", "forceLevel", "withdrawLevel")},
        **_contact(customer),
        "activateStatus": 2 if accounts else 1,
        "activateTime": accounts[0].create_time if accounts else 0,
        "apiCheckSwitch": False,
        "assertPassStatus": "2",
        "companyId": customer.company_id,
        "companyKycStatus": 1,
        "companyType": "real",
        "country": customer.country,
        "createTime": customer.create_time,
        "customerGroupId": customer.customer_group_id,
        "customerNo": customer.customer_no,
        "deposit": 1,
        "id": customer.id,
        "loginPassStatus": "2",
        "payPassStatus": "1",
        "registerSource": customer.register_source,
        "registerTime": customer.create_time,
        "status": customer.status,
        "thirdServerCode": customer.third_server_code or "",
        "utmSource": customer.utm_source or "",
        "withdraw": 1,
    }


async def group_list(ctx: ManagerContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """``CustomerGroupAdminApiService.groupList``: one row per group and mode, optionally of one ``tradeType``."""
    trade_type = optional_int(body, "tradeType")
    return [dict(g) for g in GROUPS if trade_type is None or g["tradeType"] == trade_type]


ENDPOINTS: dict[str, Endpoint] = {
    "customer.admin.WhiteCustomerAdminApiService.addCusAndOpenAccountAndKyc": Endpoint(register),
    "customer.admin.WhiteCustomerAdminApiService.page": Endpoint(page),
    "customer.admin.WhiteCustomerAdminApiService.detail": Endpoint(detail),
    "customer.admin.CustomerGroupAdminApiService.groupList": Endpoint(group_list),
}
