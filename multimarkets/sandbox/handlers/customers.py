"""Customer management (reference §6.5-§6.8): registration, list, details, cancellation.

Choices where the reference is silent or ambiguous:

- Registration validates the documented fields (phone digits, e-mail shape, ``pwd`` a lowercase MD5 hex,
  ``country`` two letters, ``registerSource`` 1..9, ``customerGroupId`` a positive integer); a malformed
  field is ``GGATEWAY_CODE_015``. Uniqueness is per company: ``phoneArea`` + ``phone`` (0000106, checked
  first), then e-mail, case-insensitive (0000107). Customer numbers are ``86`` + six digits, sequential
  across companies.
- Area codes are stored in one form, with a leading ``+`` (``86`` and ``+86`` are the same area, as the
  SDK's bulk reconciliation also assumes), and lists and details return that form.
- Answers have the keys and JSON types of the documented samples: a text the sandbox does not know is ``""``
  (as the docs show for ``idCard``, ``idCardType``, ``remark``), an unknown number ``0``, an undescribed
  object ``{}``; flags the docs type as strings (``assertPassStatus``, ``companyType``, ``loginPassStatus``,
  ``payPassStatus``, ``customerAgentMark``, ``apiCheckRule``) are strings. There are no logins or separate
  activations: ``loginTime``, ``activateTime`` and ``firstAccountActivateTime`` are the registration time.
- The list is newest first; ``current`` and ``size`` may be strings (as documented) or integers; ``size``
  defaults to 20 and is capped at 2000.
- Cancellation answers a plain success without data for both modes, as the documented sample does:
  ``isAuto: true`` sets status 4 (cancelled) at once; manual cancellation sets status 6 (cancelling) and
  stays there, since there is no back office to approve it. ``USCUSTOMER_API_0000807`` ("application
  submitted") is not used: its text reads like a success but any code other than "0" is an error to a client.
  Cancelling a customer that is already cancelled or cancelling is ``USCUSTOMER_API_0000004``.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from .. import codes
from ..context import BizError, Handler, RequestContext
from ..state import CUSTOMER_CANCELLED, Customer
from ._validate import (
    company_id_value,
    invalid,
    optional_area,
    optional_bool,
    optional_int,
    optional_str,
    page_of,
    require_int,
    require_str,
)

__all__ = ["HANDLERS"]

SERVICE = "customer.admin.WhiteCustomerAdminApiService"

STATUS_NORMAL = 1
STATUS_CANCELLING = 6
DEFAULT_GROUP_NAME = "Default group"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 2000
_LAST_CUSTOMER_SEQ = 999_999

_PHONE = re.compile(r"\d{4,20}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MD5_HEX = re.compile(r"[0-9a-f]{32}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


def _find(ctx: RequestContext, customer_no: str) -> Customer:
    customer = ctx.store.customers.get(customer_no)
    if customer is None or customer.company_id != ctx.company_id:
        raise BizError(codes.DATA_NOT_EXIST)
    return customer


async def add_customer(ctx: RequestContext, body: dict[str, Any]) -> str:
    """Register a customer; the data is the new customer number."""
    phone = optional_str(body, "phone", pattern=_PHONE)
    email = optional_str(body, "email", pattern=_EMAIL)
    if phone is None and email is None:
        raise BizError(codes.PHONE_OR_EMAIL_REQUIRED)
    phone_area = optional_area(body, "phoneArea")
    email_area = optional_area(body, "emailArea")
    require_str(body, "pwd", pattern=_MD5_HEX)  # checked, never stored
    country = require_str(body, "country", pattern=_COUNTRY).upper()
    register_source = require_int(body, "registerSource", low=1, high=9)
    group_id = require_int(body, "customerGroupId", low=1)
    remark = optional_str(body, "remark")

    customers = ctx.store.customers
    if phone is not None and customers.phone_owner(ctx.company_id, phone_area, phone) is not None:
        raise BizError(codes.PHONE_EXISTS)
    if email is not None and customers.email_owner(ctx.company_id, email) is not None:
        raise BizError(codes.EMAIL_EXISTS)
    seq = ctx.store.next_number("customer", 1)
    if seq > _LAST_CUSTOMER_SEQ:
        raise BizError(codes.CUSTOMER_NUMBER_EXHAUSTED)
    customer = Customer(
        customer_no=f"86{seq:06d}",
        id=seq,
        company_id=ctx.company_id,
        phone=phone,
        phone_area=phone_area if phone is not None else None,
        email=email,
        email_area=email_area if email is not None else None,
        country=country,
        register_source=register_source,
        customer_group_id=group_id,
        remark=remark,
        status=STATUS_NORMAL,
        create_time=ctx.now_ms,
        update_time=ctx.now_ms,
    )
    customers.put(customer.customer_no, customer)
    return customer.customer_no


def _record(c: Customer) -> dict[str, Any]:
    """A customer-list record (reference §6.6), keys and JSON types as the documented sample."""
    return {
        "agentCustomerNo": "",
        "companyId": company_id_value(c.company_id),
        "createTime": c.create_time,
        "customerGroupId": c.customer_group_id,
        "customerGroupName": DEFAULT_GROUP_NAME if c.customer_group_id == 1 else "",
        "customerNo": c.customer_no,
        "customerType": 0,
        "email": c.email or "",
        "firstAccountActivateTime": c.create_time,
        "firstName": "",
        "id": c.id,
        "idCard": "",
        "idCardType": "",
        "lastName": "",
        "loginTime": c.create_time,
        "name": "",
        "openAccountType": 0,
        "phone": c.phone or "",
        "phoneArea": c.phone_area or "",
        "registerSource": c.register_source,
        "remark": c.remark or "",
        "status": c.status,
        "tgUserId": "",
        "tgUserName": "",
        "thirdAccountNo": "",
        "thirdLoginSource": "",
        "thirdUserId": "",
        "unitId": 0,
        "unitName": "",
        "updateTime": c.update_time,
    }


async def page(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """One page of the company's customers, newest first."""
    customer_no = optional_str(body, "customerNo")
    current = optional_int(body, "current", low=1, digits_ok=True) or 1
    size = min(optional_int(body, "size", low=1, digits_ok=True) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if customer_no is not None:
        found = ctx.store.customers.get(customer_no)
        matches = [found] if found is not None and found.company_id == ctx.company_id else []
    else:
        matches = [c for c in reversed(ctx.store.customers.values()) if c.company_id == ctx.company_id]
    return page_of(matches, current, size, _record)


async def detail(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """The ``baseInfo`` details of one customer (reference §6.7)."""
    if require_str(body, "type") != "baseInfo":
        raise invalid("type", "must be baseInfo")
    c = _find(ctx, require_str(body, "customerNo"))
    return {
        "accountList": {},
        "accountRemark": "",
        "activateStatus": 1,
        "activateTime": c.create_time,
        "address": "",
        "apiCheckRule": "",
        "apiCheckSwitch": False,
        "assertPassStatus": "1",
        "associationCompanyId": 0,
        "companyId": company_id_value(c.company_id),
        "companyKycStatus": 2,
        "companyType": "1",
        "country": c.country,
        "createTime": c.create_time,
        "customerAgentMark": "0",
        "customerGroupId": c.customer_group_id,
        "customerNo": c.customer_no,
        "customerType": 0,
        "deposit": 1,
        "earlyWarningLevel": {},
        "email": c.email or "",
        "firstName": "",
        "forceLevel": {},
        "googleId": 0,
        "id": c.id,
        "idCard": "",
        "idCardType": "",
        "isFund": 0,
        "kycAuditRemark": "",
        "kycAuditStatus": 0,
        "kycRemark": "",
        "kycStatus": 0,
        "lastName": "",
        "loginPassStatus": "2",
        "loginTime": c.create_time,
        "name": "",
        "openAccountType": 0,
        "optional": 0,
        "payPassStatus": "1",
        "phone": c.phone or "",
        "phoneArea": c.phone_area or "",
        "postalCode": "",
        "registerSource": c.register_source,
        "registerTime": c.create_time,
        "relationCustomerId": 0,
        "source": "",
        "status": c.status,
        "thirdIntactMsg": "",
        "thirdLoginSource": "",
        "thirdServerCode": "",
        "thirdUserId": "",
        "type": 0,
        "unitId": 0,
        "unitName": "",
        "utmSource": "",
        "withdraw": 1,
        "withdrawLevel": {},
    }


async def destroy(ctx: RequestContext, body: dict[str, Any]) -> None:
    """Cancel a customer's account: at once with ``isAuto``, else pending approval (status 6)."""
    customer_no = require_str(body, "customerNo")
    remark = require_str(body, "remark")
    is_auto = optional_bool(body, "isAuto", False)
    customer = _find(ctx, customer_no)
    if customer.status in (CUSTOMER_CANCELLED, STATUS_CANCELLING):
        raise BizError(codes.ACTION_NOT_ALLOWED)
    status = CUSTOMER_CANCELLED if is_auto else STATUS_CANCELLING
    updated = attrs.evolve(customer, status=status, update_time=ctx.now_ms, cancel_remark=remark)
    ctx.store.customers.put(customer_no, updated)


HANDLERS: dict[str, Handler] = {
    f"{SERVICE}.addCustomer": add_customer,
    f"{SERVICE}.page": page,
    f"{SERVICE}.detail": detail,
    # The page text names `detail`, the documented HTTP sample posts to `detailByCustomerNo`.
    f"{SERVICE}.detailByCustomerNo": detail,
    f"{SERVICE}.destroyByCustomerNo": destroy,
}
