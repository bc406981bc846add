# mypy: disable-error-code="misc"
"""Customer models: what a user gives to register a customer, and what goes on the wire."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ..errors import ValidationError
from ._answer import Answer
from ._checks import (
    LARGEST_INT,
    MAX_LENGTH,
    checked,
    choice,
    clean_text,
    flag,
    matching,
    optional_text,
    page_number,
    positive_int,
    text,
)
from .enums import CustomerGroupType, CustomerStatus, CustomerType, KycStatus, OpenAccountType, RegisterSource

__all__ = [
    "AddCustomerRequest",
    "CancelCustomerRequest",
    "Customer",
    "CustomerDetail",
    "CustomerDetailRequest",
    "CustomerListRequest",
    "CustomerRegistration",
    "RegisterSource",
    "wire_pwd",
]


_MD5_HEX = re.compile(r"[0-9a-f]{32}")
_PASSWORD_LENGTH = MAX_LENGTH["password"]
_email = matching(r"[^@\s]+@[^@\s]+\.[^@\s]+", "is not an e-mail address")
_phone = matching(r"[0-9]{4,20}", "must be 4 to 20 digits, without the area code")
_area = matching(r"\+?[0-9]{1,4}", "must be an area code such as +86")
_SOURCES = {source.value: source for source in RegisterSource}


def _country(value: Any, field: str) -> str:
    # Two ASCII letters, checked without a regex (this runs for every registration).
    if not isinstance(value, str) or len(value) != 2 or not value.isascii() or not value.isalpha():
        raise ValidationError(field, "must be a 2-letter country code such as CN")
    return value.upper()


def wire_pwd(password: Any, password_md5: Any) -> str:
    """The wire ``pwd`` of a registration: the MD5 of ``password``, or ``password_md5`` as given (exactly one of
    them), checked."""
    if (password is None) == (password_md5 is None):
        raise ValidationError("password", "give exactly one of password or password_md5")
    if password is not None:
        if not isinstance(password, str) or not password:
            raise ValidationError("password", "must be a non-empty string")
        # A password read from a file often ends in a newline the user never meant to be part of it. Printable
        # and short enough is clean_text's answer, without its call (this runs for every registration).
        if not password.isprintable() or len(password) > _PASSWORD_LENGTH:
            clean_text(password, "password")
        return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()
    if not isinstance(password_md5, str) or not _MD5_HEX.fullmatch(password_md5):
        raise ValidationError("password_md5", "must be 32 lowercase hex characters (an MD5 digest)")
    return password_md5


@attrs.frozen(init=False)
class AddCustomerRequest:
    """The registration body exactly as the service takes it (reference §6.5); validated on construction."""

    pwd: str = attrs.field(repr=False)
    country: str
    register_source: RegisterSource
    customer_group_id: int
    phone: str | None = None
    email: str | None = None
    phone_area: str | None = None
    email_area: str | None = None
    remark: str | None = None

    def __init__(
        self,
        *,
        pwd: str,
        country: Any,
        register_source: Any,
        customer_group_id: Any,
        phone: Any = None,
        email: Any = None,
        phone_area: Any = None,
        email_area: Any = None,
        remark: Any = None,
    ) -> None:
        # Every field checked here, in field order, then stored by attrs: a converter per field would cost a
        # call per field, absent ones included, and this runs for every registration.
        # The usual register_source, an int wire value, is taken without choice()'s call.
        source = _SOURCES.get(register_source) if type(register_source) is int else None
        self.__attrs_init__(
            pwd,
            _country(country, "country"),
            choice(RegisterSource, register_source, "register_source") if source is None else source,
            # the usual group, a positive int, taken without positive_int's call
            customer_group_id
            if type(customer_group_id) is int and 0 < customer_group_id <= LARGEST_INT
            else positive_int(customer_group_id, "customer_group_id"),
            None if phone is None else _phone(phone, "phone"),
            None if email is None else _email(email, "email"),
            None if phone_area is None else _area(phone_area, "phone_area"),
            None if email_area is None else _area(email_area, "email_area"),
            None if remark is None else optional_text(remark, "remark"),
        )
        if self.email is None and self.phone is None:
            raise ValidationError("phone", "phone or email is required")

    @classmethod
    def of(cls, *, password: Any = None, password_md5: Any = None, **fields: Any) -> AddCustomerRequest:
        """The request for :class:`CustomerRegistration`'s fields (the password hashed), validated."""
        return cls(pwd=wire_pwd(password, password_md5), **fields)


@attrs.frozen
class CustomerRegistration:
    """One customer to register. Give ``phone`` or ``email`` (or both) and exactly one of ``password``
    (hashed to MD5 for you) or ``password_md5``. :meth:`to_request` validates without sending anything."""

    country: str
    register_source: RegisterSource | int | str
    email: str | None = None
    phone: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    password_md5: str | None = attrs.field(default=None, repr=False)
    customer_group_id: int = 1
    phone_area: str | None = None
    email_area: str | None = None
    remark: str | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> CustomerRegistration:
        """Build from a mapping with the same field names (e.g. a CSV row); empty strings count as absent."""
        return cls(**_registration_values(row))

    def to_request(self) -> AddCustomerRequest:
        """Validate and return the wire request; raises :class:`ValidationError` naming the field."""
        return AddCustomerRequest.of(**{name: getattr(self, name) for name in _REGISTRATION_FIELDS})


_REGISTRATION_FIELDS = frozenset(attrs.fields_dict(CustomerRegistration))
"""Looked up once, not for every row (attrs builds a new mapping each time it is asked)."""
_DEFAULT_GROUP = attrs.fields(CustomerRegistration).customer_group_id.default


def _registration_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The registration fields of a mapping: unknown names and missing required ones refused, empty strings
    taken as absent, an absent customer group given its default."""
    if not _REGISTRATION_FIELDS.issuperset(row):  # no set built for a row without unknown names
        expected = ", ".join(sorted(_REGISTRATION_FIELDS))
        raise ValidationError(min(row.keys() - _REGISTRATION_FIELDS), f"unknown field (expected some of: {expected})")
    values: dict[str, Any] = dict(row)
    # This runs for every row of a bulk run: a plain loop (a comprehension or any() costs a function call), over
    # the values alone (no pair to unpack per field), and nothing written back unless a value is blank (rare:
    # then the row is taken again, every blank as absent).
    for value in row.values():
        if isinstance(value, str) and not value.strip():
            values = {
                name: None if isinstance(value, str) and not value.strip() else value for name, value in row.items()
            }
            break
    # One test each, not a loop over the two names.
    if values.get("country") is None:
        raise ValidationError("country", "is required")
    if values.get("register_source") is None:
        raise ValidationError("register_source", "is required")
    if values.get("customer_group_id") is None:
        values["customer_group_id"] = _DEFAULT_GROUP
    return values


def mapping_request(row: Mapping[str, Any]) -> AddCustomerRequest:
    """``CustomerRegistration.from_mapping(row).to_request()`` without building the registration in between
    (a bulk run does this for every row)."""
    # One dict of values, unpacked with ``**``: in C that costs less than reading the fields one by one
    # (``row.get`` per field: 300 instructions more per row; merging the row into a dict of absent fields and
    # reading all at once with an itemgetter: 1,300 more), though it runs more bytecodes.
    values = _registration_values(row)
    pwd = wire_pwd(values.pop("password", None), values.pop("password_md5", None))
    return AddCustomerRequest(pwd=pwd, **values)


def registration_request(arguments: Mapping[str, Any]) -> AddCustomerRequest:
    """The validated request of the registration among a ``register`` method's ``arguments`` (its ``locals()``).

    The Manager client's ``register`` spells the registration's fields out in its signature, for its reader;
    taking them from there keeps that list in fewer places (the Bridge client's ``register`` passes them one by
    one: a dict and a comprehension cost 12k instructions per call).
    Checked as :meth:`CustomerRegistration.to_request` checks them, without building the registration first, and
    with one keyword hop, not two (``of``'s): this runs for every ``register`` call."""
    fields = {name: arguments[name] for name in _REQUEST_FIELDS}
    return AddCustomerRequest(pwd=wire_pwd(arguments["password"], arguments["password_md5"]), **fields)


_REQUEST_FIELDS = tuple(sorted(_REGISTRATION_FIELDS - {"password", "password_md5"}))
"""The registration fields the request takes as they are (the password ones become ``pwd``)."""


# --- list, detail and cancellation (reference §6.6-6.8) ---------------------------------------------------------


@attrs.frozen(kw_only=True)
class CustomerListRequest:
    """Body of the customer list (§6.6): ``current`` and ``size`` are strings on the wire."""

    page: str = attrs.field(converter=checked(page_number, then=str), metadata={"wire": "current"})
    size: str = attrs.field(converter=checked(page_number, then=str))
    customer_no: str | None = attrs.field(default=None, converter=checked(optional_text))


@attrs.frozen(kw_only=True)
class CustomerDetailRequest:
    """Body of the customer detail (§6.7); ``type`` is always ``baseInfo``."""

    customer_no: str = attrs.field(converter=checked(text))
    type: str = "baseInfo"


@attrs.frozen(kw_only=True)
class CancelCustomerRequest:
    """Body of the customer account cancellation (§6.8)."""

    customer_no: str = attrs.field(converter=checked(text))
    remark: str = attrs.field(converter=checked(text))
    auto: bool = attrs.field(converter=checked(flag), metadata={"wire": "isAuto"})


@attrs.frozen
class _CustomerFields(Answer):
    """What the customer list row and the customer detail both carry."""

    customer_no: str
    id: int | None = None
    status: CustomerStatus | None = None
    customer_type: CustomerType | None = None
    open_account_type: OpenAccountType | None = None
    register_source: RegisterSource | None = None
    company_id: int | None = None
    customer_group_id: int | None = None
    phone: str | None = None
    phone_area: str | None = None
    email: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    id_card: str | None = attrs.field(default=None, repr=False)
    id_card_type: str | None = None
    unit_id: int | None = None
    unit_name: str | None = None
    third_user_id: str | None = None
    third_login_source: str | None = None
    create_time: datetime | None = None
    login_time: datetime | None = None


@attrs.frozen
class Customer(_CustomerFields):
    """One row of the customer list. Times are UTC; the exact wire values stay in ``raw``."""

    customer_group_name: str | None = None
    agent_customer_no: str | None = None
    remark: str | None = None
    tg_user_id: str | None = None
    tg_user_name: str | None = None
    third_account_no: str | None = None
    update_time: datetime | None = None
    first_account_activate_time: datetime | None = None


@attrs.frozen
class CustomerDetail(_CustomerFields):
    """A customer's base information (§6.7). Flags stay as the docs type them: integers for some (``deposit``
    1 = may deposit), strings for others (``assert_pass_status`` ``"1"``); nested objects the reference leaves
    undescribed stay as parsed JSON."""

    type: CustomerGroupType | None = None
    company_type: str | None = None
    country: str | None = None
    address: str | None = attrs.field(default=None, repr=False)
    postal_code: str | None = None
    kyc_status: int | None = None
    kyc_audit_status: KycStatus | None = None
    kyc_audit_remark: str | None = None
    kyc_remark: str | None = None
    company_kyc_status: int | None = None
    """1 on, 2 off."""
    activate_status: int | None = None
    deposit: int | None = None
    """1 when the customer may deposit."""
    withdraw: int | None = None
    """1 when the customer may withdraw."""
    is_fund: int | None = None
    """1 for a fund manager."""
    google_id: int | None = None
    """Above 0 when Google MFA is on."""
    api_check_switch: bool | None = None
    api_check_rule: str | None = None
    """Comma-joined: 1 e-mail, 2 SMS, 3 Google MFA."""
    assert_pass_status: str | None = None
    """``"1"`` must set a fund password, ``"2"`` need not."""
    login_pass_status: str | None = None
    pay_pass_status: str | None = None
    """``"1"`` no payment password, ``"2"`` has one."""
    optional: int | None = None
    source: str | None = None
    utm_source: str | None = None
    third_server_code: str | None = None
    third_intact_msg: str | None = None
    relation_customer_id: int | None = None
    association_company_id: int | None = None
    customer_agent_mark: str | None = None
    account_remark: str | None = None
    account_list: Any = None
    early_warning_level: Any = None
    force_level: Any = None
    withdraw_level: Any = None
    register_time: datetime | None = None
    activate_time: datetime | None = None
