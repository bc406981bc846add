"""Account and fund events of the Data Push (reference manager-api §6.4): accounts, subjects (balances) and
their change details, deposits, balance adjustments and withdrawals.

Integer amounts (``amount``, ``amount_after``, ...) are scaled by the event's ``digits``, as the service sends
them; amounts the docs send as decimals (deposits, adjustments, withdrawals) are exact ``Decimal`` values.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from ...models.enums import AccountKind, AccountStatus
from .codes import CheckStatus, ProgressStatus
from .events import PushEvent

__all__ = [
    "AccountAdjustEvent",
    "AccountUpdateEvent",
    "DepositEvent",
    "OpenAccountEvent",
    "SubjectInsertEvent",
    "SubjectUpdateEvent",
    "SubjectWaterInsertEvent",
    "SubjectWaterUpdateEvent",
    "WithdrawEvent",
]


@attrs.frozen(kw_only=True)
class _Account(PushEvent):
    """A trading account (``currency`` is the asset id, ``currency_code`` its name)."""

    company_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    trade_type: int | None = None
    currency: int | None = None
    currency_code: str | None = None
    digits: int | None = None
    status: AccountStatus | None = None
    activate_status: AccountStatus | None = None
    type: AccountKind | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class OpenAccountEvent(_Account, event_type="open_account"):
    """``open_account``: a trading account was opened."""


@attrs.frozen(kw_only=True)
class AccountUpdateEvent(_Account, event_type="account_update"):
    """``account_update``: a trading account changed."""


@attrs.frozen(kw_only=True)
class _Subject(PushEvent):
    """One subject (balance line, ``type`` a subject type code) of an account; ``amount`` scaled by ``digits``."""

    account_id: int | None = None
    type: int | None = None
    amount: int | None = None
    digits: int | None = None
    version: int | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class SubjectInsertEvent(_Subject, event_type="subject_insert"):
    """``subject_insert``: an account subject was added."""


@attrs.frozen(kw_only=True)
class SubjectUpdateEvent(_Subject, event_type="subject_update"):
    """``subject_update``: an account subject changed."""


@attrs.frozen(kw_only=True)
class _SubjectWater(PushEvent):
    """One change of a subject (``business_type``/``business_type1`` codes per trading mode, §6.3)."""

    company_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    account_id: int | None = None
    account_type: int | None = None
    trade_type: int | None = None
    subject_id: int | None = None
    subject_type: int | None = None
    currency: int | None = None
    currency_code: str | None = None
    digits: int | None = None
    amount_in: int | None = None
    amount_out: int | None = None
    amount_after: int | None = None
    business_type: int | None = None
    business_type1: int | None = None
    bookkeep_id: int | None = None
    order_id: int | None = None
    remark: str | None = None
    status: int | None = None
    version: int | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class SubjectWaterInsertEvent(_SubjectWater, event_type="subject_water_insert"):
    """``subject_water_insert``: an account change detail was added."""


@attrs.frozen(kw_only=True)
class SubjectWaterUpdateEvent(_SubjectWater, event_type="subject_water_update"):
    """``subject_water_update``: an account change detail changed."""


@attrs.frozen(kw_only=True)
class _Proposal(PushEvent):
    """What a deposit, a balance adjustment and a withdrawal proposal all carry."""

    company_id: int | None = None
    customer_no: str | None = None
    account_id: int | None = None
    trade_type: int | None = None
    proposal_no: str | None = None
    check_status: CheckStatus | None = None
    revision: int | None = None
    create_by: str | None = None
    create_time: datetime | None = None
    update_by: str | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class DepositEvent(_Proposal, event_type="deposit"):
    """``deposit``: a deposit succeeded."""

    country: str | None = None
    deposit_currency: str | None = None
    deposit_from: str | None = None
    deposit_status: int | None = None
    deposit_fee: int | None = None
    intend_amount: Decimal | None = None
    actual_amount: Decimal | None = None
    final_amount: Decimal | None = None
    from_payment_amount: Decimal | None = None
    to_payment_amount: Decimal | None = None
    to_payment_rate: Decimal | None = None
    payment_currency: str | None = None
    payment_code: str | None = None
    payment_type: str | None = None
    payment_channel_client_type: str | None = None
    payment_status: ProgressStatus | None = None
    blockchain_name: str | None = None
    notify_status: bool | None = None
    query_max_count: int | None = None


@attrs.frozen(kw_only=True)
class AccountAdjustEvent(_Proposal, event_type="account_adjust"):
    """``account_adjust``: a balance adjustment (``business_type`` e.g. 60301; ``withdraw``: can be withdrawn)."""

    account_currency: str | None = None
    amount: Decimal | None = None
    business_type: int | None = None
    withdraw: bool | None = None
    check_by: str | None = None


@attrs.frozen(kw_only=True)
class WithdrawEvent(_Proposal, event_type="withdraw"):
    """``withdraw``: a withdrawal proposal was added or changed (``withdraw_type`` 1 bank card, 2 coin;
    ``withdraw_method`` bank, digit_wallet, skrill_wallet or wire)."""

    country: str | None = None
    account_currency: str | None = None
    withdraw_currency: str | None = None
    amount: Decimal | None = None
    raw_amount: int | None = None
    rate: int | None = None
    withdraw_fee: int | None = None
    final_amount: int | None = None
    bank_name: str | None = None
    bank_card_no: str | None = attrs.field(default=None, repr=False)
    bank_account_name: str | None = None
    withdraw_type: int | None = None
    withdraw_method: str | None = None
    withdraw_coin_status: int | None = None
    blockchain_name: str | None = None
    txid: str | None = None
    third_message: str | None = None
    check_by: str | None = None
    transfer_status: ProgressStatus | None = None
    remark: str | None = None
    withdraw: bool | None = None
