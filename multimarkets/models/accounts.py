# mypy: disable-error-code="misc"
"""Exchange accounts attached to a customer (reference §6.9-6.11): the customer's own exchange API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ..errors import ValidationError
from ._answer import Answer
from ._checks import checked, flag, matching, one_of, optional_text, page_number, positive_int, text
from .enums import AccountType, ExchangeCode

__all__ = ["Account", "AccountListRequest", "AddAccountRequest", "UpdateAccountRequest"]

_certificate = matching(r"(?:[0-9a-fA-F]{2})+", "must be the hex (Base16) text of a PKCS#12 certificate")


def _record_id(value: Any, field: str) -> str:
    return text(
        str(positive_int(value, field)) if isinstance(value, int) and not isinstance(value, bool) else value, field
    )


@attrs.frozen(kw_only=True)
class AddAccountRequest:
    """Body of "add account" (§6.9). The exchange secrets never appear in a repr."""

    customer_no: str = attrs.field(converter=checked(text))
    exchange_code: ExchangeCode = attrs.field(converter=checked(one_of(ExchangeCode)))
    account_type: AccountType = attrs.field(converter=checked(one_of(AccountType)))
    account_name: str = attrs.field(converter=checked(text))
    api_key: str = attrs.field(repr=False, converter=checked(text), metadata={"wire": "accountApiKey"})
    secret_key: str = attrs.field(repr=False, converter=checked(text), metadata={"wire": "accountSecretKey"})
    passphrase: str | None = attrs.field(default=None, repr=False, converter=checked(optional_text))
    certificate: str | None = attrs.field(default=None, repr=False, converter=checked(_certificate))
    is_test: int = attrs.field(default=False, converter=checked(flag, then=int))

    def __attrs_post_init__(self) -> None:
        if self.exchange_code is ExchangeCode.CUMBERLAND and self.certificate is None:
            raise ValidationError("certificate", "is required for Cumberland accounts")


@attrs.frozen(kw_only=True)
class UpdateAccountRequest:
    """Body of "update account" (§6.10): ``id`` is the record id, a string on the wire."""

    account_id: str = attrs.field(converter=checked(_record_id), metadata={"wire": "id"})
    account_name: str | None = attrs.field(default=None, converter=checked(optional_text))
    api_key: str | None = attrs.field(
        default=None, repr=False, converter=checked(optional_text), metadata={"wire": "accountApiKey"}
    )
    secret_key: str | None = attrs.field(
        default=None,
        repr=False,
        converter=checked(optional_text),
        metadata={"wire": "accountSecretKey"},
    )
    passphrase: str | None = attrs.field(default=None, repr=False, converter=checked(optional_text))
    certificate: str | None = attrs.field(default=None, repr=False, converter=checked(_certificate))

    def __attrs_post_init__(self) -> None:
        changes = (self.account_name, self.api_key, self.secret_key, self.passphrase, self.certificate)
        if all(change is None for change in changes):
            raise ValidationError("account_name", "give at least one field to change")


@attrs.frozen(kw_only=True)
class AccountListRequest:
    """Body of "check account" (§6.11): every field, paging included, is a string on the wire."""

    page: str = attrs.field(converter=checked(page_number, then=str), metadata={"wire": "current"})
    size: str = attrs.field(converter=checked(page_number, then=str))
    customer_no: str | None = attrs.field(default=None, converter=checked(optional_text))
    exchange_code: ExchangeCode | None = attrs.field(
        default=None, converter=checked(one_of(ExchangeCode), optional=True)
    )
    account_type: AccountType | None = attrs.field(default=None, converter=checked(one_of(AccountType), optional=True))
    account_name: str | None = attrs.field(default=None, converter=checked(optional_text))


@attrs.frozen
class Account(Answer):
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
    company_id: int | None = None
    customer_id: int | None = None
    is_test: int | None = None
    """1 for a test account, 0 for a real one."""
    create_time: datetime | None = None
    update_time: datetime | None = None
