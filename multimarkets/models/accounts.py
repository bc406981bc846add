"""Exchange accounts attached to a customer (reference §6.9-6.11): the customer's own exchange API keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ..errors import ValidationError
from ._checks import choice, optional_text, page_number, text
from .enums import AccountType, ExchangeCode

__all__ = ["Account", "AccountListRequest", "AddAccountRequest", "UpdateAccountRequest"]

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


def _certificate(value: Any) -> str | None:
    certificate = optional_text(value, "certificate")
    if certificate is not None and not _HEX.fullmatch(certificate):
        raise ValidationError("certificate", "must be the hex (Base16) text of a PKCS#12 certificate")
    return certificate


@attrs.frozen
class AddAccountRequest:
    """Body of "add account" (§6.9). The exchange secrets never appear in a repr."""

    customer_no: str
    exchange_code: ExchangeCode
    account_type: AccountType
    account_name: str
    account_api_key: str = attrs.field(repr=False)
    account_secret_key: str = attrs.field(repr=False)
    passphrase: str | None = attrs.field(default=None, repr=False)
    certificate: str | None = attrs.field(default=None, repr=False)
    is_test: int = 0

    @classmethod
    def of(
        cls,
        customer_no: str,
        *,
        exchange_code: ExchangeCode | str,
        account_type: AccountType | str,
        account_name: str,
        api_key: str,
        secret_key: str,
        passphrase: str | None,
        certificate: str | None,
        is_test: bool,
    ) -> AddAccountRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        exchange = choice(ExchangeCode, exchange_code, "exchange_code")
        certificate = _certificate(certificate)
        if exchange is ExchangeCode.CUMBERLAND and certificate is None:
            raise ValidationError("certificate", "is required for Cumberland accounts")
        if not isinstance(is_test, bool):
            raise ValidationError("is_test", "must be True or False")
        return cls(
            customer_no=text(customer_no, "customer_no"),
            exchange_code=exchange,
            account_type=choice(AccountType, account_type, "account_type"),
            account_name=text(account_name, "account_name"),
            account_api_key=text(api_key, "api_key"),
            account_secret_key=text(secret_key, "secret_key"),
            passphrase=optional_text(passphrase, "passphrase"),
            certificate=certificate,
            is_test=1 if is_test else 0,
        )


@attrs.frozen
class UpdateAccountRequest:
    """Body of "update account" (§6.10): ``id`` is the record id, a string on the wire."""

    id: str
    account_name: str | None = None
    account_api_key: str | None = attrs.field(default=None, repr=False)
    account_secret_key: str | None = attrs.field(default=None, repr=False)
    passphrase: str | None = attrs.field(default=None, repr=False)
    certificate: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        account_id: str | int,
        *,
        account_name: str | None,
        api_key: str | None,
        secret_key: str | None,
        passphrase: str | None,
        certificate: str | None,
    ) -> UpdateAccountRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        record_id = str(account_id) if isinstance(account_id, int) and not isinstance(account_id, bool) else account_id
        request = cls(
            id=text(record_id, "account_id"),
            account_name=optional_text(account_name, "account_name"),
            account_api_key=optional_text(api_key, "api_key"),
            account_secret_key=optional_text(secret_key, "secret_key"),
            passphrase=optional_text(passphrase, "passphrase"),
            certificate=_certificate(certificate),
        )
        changes = (
            request.account_name,
            request.account_api_key,
            request.account_secret_key,
            request.passphrase,
            request.certificate,
        )
        if all(change is None for change in changes):
            raise ValidationError("account_name", "give at least one field to change")
        return request


@attrs.frozen
class AccountListRequest:
    """Body of "check account" (§6.11): every field, paging included, is a string on the wire."""

    current: str
    size: str
    customer_no: str | None = None
    exchange_code: ExchangeCode | None = None
    account_type: AccountType | None = None
    account_name: str | None = None

    @classmethod
    def of(
        cls,
        customer_no: str | None,
        *,
        exchange_code: ExchangeCode | str | None,
        account_type: AccountType | str | None,
        account_name: str | None,
        page: int,
        size: int,
    ) -> AccountListRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        return cls(
            current=str(page_number(page, "page")),
            size=str(page_number(size, "size")),
            customer_no=optional_text(customer_no, "customer_no"),
            exchange_code=None if exchange_code is None else choice(ExchangeCode, exchange_code, "exchange_code"),
            account_type=None if account_type is None else choice(AccountType, account_type, "account_type"),
            account_name=optional_text(account_name, "account_name"),
        )


@attrs.frozen
class Account:
    """An exchange account of a customer. ``id`` is what :meth:`update` takes; the API key comes back masked.

    The reference shows no sample of this record (INFERRED from the older draft); the exact wire object is
    kept in ``raw``.
    """

    id: str
    customer_no: str
    exchange_code: ExchangeCode
    account_type: AccountType
    account_name: str
    account_api_key: str | None = attrs.field(default=None, repr=False)
    company_id: str | None = None
    customer_id: int | None = None
    is_test: bool | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
