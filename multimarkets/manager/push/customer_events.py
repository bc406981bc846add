"""Customer events of the Data Push (reference manager-api §6.4): registration, customer and detail updates, KYC."""

from __future__ import annotations

from datetime import datetime

import attrs

from ...models.enums import CustomerStatus, KycStatus, RegisterSource
from .codes import RegisterType
from .events import PushEvent

__all__ = [
    "CustomerInfoInsertEvent",
    "CustomerInfoUpdateEvent",
    "CustomerUpdateEvent",
    "KycEvent",
    "RegisterEvent",
]


@attrs.frozen(kw_only=True)
class _Customer(PushEvent):
    """What a ``register`` and a ``customer_update`` event both say of the customer."""

    company_id: int | None = None
    customer_no: str | None = None
    customer_group_id: int | None = None
    country: str | None = None
    language: str | None = None
    phone: str | None = None
    phone_area: str | None = None
    email: str | None = None
    email_area: str | None = None
    status: CustomerStatus | None = None
    kyc_audit_status: KycStatus | None = None
    kyc_audit_remark: str | None = None
    optional: int | None = None
    create_time: datetime | None = None


@attrs.frozen(kw_only=True)
class RegisterEvent(_Customer, event_type="register"):
    """``register``: a customer registered."""

    register_source: RegisterSource | None = None
    register_type: RegisterType | None = None
    ext2: str | None = None
    ext4: str | None = None


@attrs.frozen(kw_only=True)
class CustomerUpdateEvent(_Customer, event_type="customer_update"):
    """``customer_update``: a customer's information changed."""

    birthday: str | None = None
    login_ip: str | None = None
    login_time: datetime | None = None
    first_open_account_time: datetime | None = None
    revision: int | None = None
    create_by: str | None = None
    update_by: str | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class _CustomerInfo(PushEvent):
    """The customer details both ``customer_info_*`` events carry."""

    company_id: int | None = None
    unit_id: int | None = None
    customer_info_id: int | None = None
    customer_no: str | None = None
    country: str | None = None
    province: str | None = None
    city: str | None = None
    address: str | None = None
    register_ip: str | None = None
    register_device: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    remark: str | None = None
    ext1: str | None = None
    ext2: str | None = None
    ext3: str | None = None
    ext4: str | None = None
    ext5: str | None = None
    status: int | None = None
    revision: int | None = None
    create_by: str | None = None
    create_time: datetime | None = None


@attrs.frozen(kw_only=True)
class CustomerInfoInsertEvent(_CustomerInfo, event_type="customer_info_insert"):
    """``customer_info_insert``: a customer's details were added."""


@attrs.frozen(kw_only=True)
class CustomerInfoUpdateEvent(_CustomerInfo, event_type="customer_info_update"):
    """``customer_info_update``: a customer's details changed."""

    update_by: str | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class KycEvent(PushEvent, event_type="kyc"):
    """``kyc``: a KYC level certification passed (``business_code``: open_account, cashin, withdraw, ...)."""

    company_id: int | None = None
    customer_no: str | None = None
    business_code: str | None = None
    level_code: str | None = None
    path_code: str | None = None
    pno: str | None = None
    status: KycStatus | None = None
    approval: str | None = None
    approval_time: datetime | None = None
    ext1: str | None = None
    ext2: str | None = None
    revision: int | None = None
    create_time: datetime | None = None
    update_by: str | None = None
    update_time: datetime | None = None
