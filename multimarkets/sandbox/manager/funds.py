"""Accounts and balances (``queryAccountList``) and the balance update (reference §5.9, §5.10).

Choices where the reference is silent:

- An account's ``balance``, ``available``, ``equity`` and ``netAssets`` are equal (no positions in the
  sandbox); ``withdrawAmount`` is the part added with ``withdraw: true``, ``notWithdrawAmount`` the rest.
- A balance update needs ``businessType`` 4 and a boolean ``withdraw`` (both documented as fixed values,
  so anything else is ``FS10002``), a known customer (``USCUSTOMER_API_0000003``), an account of that
  customer in ``tradeType`` and ``accountCurrency`` (``accountId`` may pin it; one of another mode is
  ``FS520010``), and a non-zero ``amount`` (JSON number or decimal string) below 10^18 with at most the
  account's digits. A claw-back that would take the balance below zero, or a credit that would take it to 10^18
  or more, fails with ``FS52001``. The answer's ``data`` is the proposal number (``A`` + date + six digits), as
  changelog 2.6.5 says.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ..handlers._validate import AMOUNT_DIGITS, optional_int, optional_str, require_int, require_str
from . import codes
from .context import Endpoint, ManagerContext, biz_error
from .events import account_adjust_event
from .state import Account, Proposal

__all__ = ["ENDPOINTS"]

FIRST_PROPOSAL = 100001


def _text(value: Decimal, digits: int) -> str:
    return f"{value:.{digits}f}"


def account_row(account: Account) -> dict[str, Any]:
    """One element of ``queryAccountList``'s ``data``, keys and types of the documented sample."""
    balance = _text(Decimal(account.balance), account.digits)
    zero = _text(Decimal(0), account.digits)
    return {
        "netAssets": balance,
        "available": balance,
        "remark": None,
        "type": 1,
        "equity": balance,
        "firstDepositTime": account.first_deposit_time,
        "lockMargin": zero,
        "balance": balance,
        "interest": zero,
        "customerId": account.customer_id,
        "liabilities": zero,
        "currency": account.currency,
        "activateStatus": 2,
        "withdrawAmount": _text(Decimal(account.withdrawable), account.digits),
        "profit": "0",
        "tradeType": account.trade_type,
        "wholeWarehouseBalance": None,
        "freeMargin": "0",
        "margin": "0",
        "firstWithdrawTime": None,
        "activateTime": account.create_time,
        "frozen": zero,
        "wholeWarehouseRate": None,
        "accountId": account.account_id,
        "openAccountStatus": True,
        "companyId": account.company_id,
        "liabilitiesPrincipal": zero,
        "interestProportion": None,
        "createTime": account.create_time,
        "lockAmount": zero,
        "marginRadio": None,
        "notWithdrawAmount": _text(Decimal(account.not_withdrawable), account.digits),
        "availableLoan": None,
        "digits": account.digits,
        "customerNo": account.customer_no,
        "status": 2,
        "assetsId": account.assets_id,
    }


def _customer_no(ctx: ManagerContext, body: dict[str, Any]) -> str:
    customer_no = require_str(body, "customerNo")
    customer = ctx.state.customers.get(customer_no)
    if customer is None or customer.company_id != ctx.company_id:
        raise biz_error(codes.DATA_NOT_EXIST)
    return customer_no


async def query_accounts(ctx: ManagerContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """``CustomerAdminApiService.queryAccountList``: the customer's accounts of one ``tradeType``."""
    customer_no = _customer_no(ctx, body)
    trade_type = require_int(body, "tradeType")
    return [account_row(a) for a in ctx.state.accounts_of(customer_no) if a.trade_type == trade_type]


def _amount(body: dict[str, Any]) -> Decimal:
    value = body.get("amount")
    if value is None or value == "":
        raise biz_error(codes.FUND_REQUIRED)
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise biz_error(codes.FUND_INVALID)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise biz_error(codes.FUND_INVALID) from None
    if not amount.is_finite() or amount == 0 or amount.adjusted() >= AMOUNT_DIGITS:
        raise biz_error(codes.FUND_INVALID)
    return amount


async def update_balance(ctx: ManagerContext, body: dict[str, Any]) -> str:
    """``addCustomerAdjustProposal``: credit (positive) or claw back (negative); the proposal number."""
    for name in ("customerNo", "accountCurrency", "tradeType", "businessType", "amount", "withdraw"):
        if body.get(name) in (None, ""):
            raise biz_error(codes.FUND_REQUIRED)
    customer_no = _customer_no(ctx, body)
    currency = require_str(body, "accountCurrency")
    trade_type = require_int(body, "tradeType")
    withdraw = body.get("withdraw")
    if require_int(body, "businessType") != 4 or not isinstance(withdraw, bool):
        raise biz_error(codes.FUND_INVALID)
    amount = _amount(body)
    account_id = optional_int(body, "accountId")
    accounts = ctx.state.accounts_of(customer_no)
    if account_id is not None:
        pinned = [a for a in accounts if a.account_id == account_id]
        if not pinned:
            raise biz_error(codes.FUND_INVALID)
        if pinned[0].trade_type != trade_type:
            raise biz_error(codes.ACCOUNT_TRADE_TYPE_MISMATCH)
        accounts = pinned
    matching = [a for a in accounts if a.trade_type == trade_type and a.currency == currency]
    if not matching:
        raise biz_error(codes.FUND_INVALID)
    account = matching[0]
    if amount.as_tuple().exponent < -account.digits:  # type: ignore[operator]
        raise biz_error(codes.FUND_INVALID)
    balance = Decimal(account.balance) + amount
    withdrawable = Decimal(account.withdrawable) + (amount if withdraw else 0)
    not_withdrawable = Decimal(account.not_withdrawable) + (0 if withdraw else amount)
    if balance < 0 or withdrawable < 0 or not_withdrawable < 0 or balance.adjusted() >= AMOUNT_DIGITS:
        raise biz_error(codes.ADJUST_FAILED)
    state = ctx.state
    day = time.strftime("%Y%m%d", time.gmtime(ctx.now_ms / 1000))
    proposal_no = f"A{day}{state.store.next_number('manager.proposal', FIRST_PROPOSAL)}"
    proposal = Proposal(
        proposal_no=proposal_no,
        customer_no=customer_no,
        account_id=account.account_id,
        currency=currency,
        trade_type=trade_type,
        amount=str(amount),
        withdraw=withdraw,
        remark=optional_str(body, "remark"),
        create_time=ctx.now_ms,
    )
    state.proposals.put(proposal_no, proposal)
    ctx.publish("account_adjust", account_adjust_event(proposal, ctx.company_id))
    state.put_account(
        attrs.evolve(
            account,
            balance=str(balance),
            withdrawable=str(withdrawable),
            not_withdrawable=str(not_withdrawable),
            first_deposit_time=account.first_deposit_time or (ctx.now_ms if amount > 0 else None),
        )
    )
    return proposal_no


ENDPOINTS: dict[str, Endpoint] = {
    "customer.admin.CustomerAdminApiService.queryAccountList": Endpoint(query_accounts, company_id_required=False),
    "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal": Endpoint(
        update_balance, company_id_required=False
    ),
}
