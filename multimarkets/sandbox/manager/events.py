"""The Data Push events the sandbox's own actions cause, with the fields and JSON types of reference §6.4."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .state import Account, Customer, Proposal

__all__ = ["account_adjust_event", "open_account_event", "register_event"]

_QUOTA_ADJUSTMENT = 4
"""``businessType`` of a quota adjustment in the full-position contract mode (§6.3)."""


def register_event(customer: Customer) -> dict[str, Any]:
    """``register``: a customer registered (``registerType`` 1 e-mail, 2 phone)."""
    return {
        "companyId": customer.company_id,
        "country": customer.country,
        "createTime": customer.create_time,
        "customerGroupId": customer.customer_group_id,
        "customerNo": customer.customer_no,
        "ext2": "",
        "ext4": "",
        "id": str(customer.id),
        "kycAuditRemark": "",
        "kycAuditStatus": 0,
        "language": "en-US",
        "optional": 0,
        "phone": customer.phone or "",
        "phoneArea": customer.phone_area or "",
        "email": customer.email or "",
        "emailArea": customer.email_area or "",
        "registerSource": customer.register_source,
        "registerType": 2 if customer.phone else 1,
        "status": customer.status,
    }


def open_account_event(account: Account) -> dict[str, Any]:
    """``open_account``: a trading account opened (``currency`` is the asset id)."""
    return {
        "activateStatus": 2,
        "companyId": account.company_id,
        "createTime": account.create_time,
        "currency": account.assets_id,
        "currencyCode": account.currency,
        "customerId": account.customer_id,
        "customerNo": account.customer_no,
        "digits": account.digits,
        "id": str(account.account_id),
        "status": 2,
        "tradeType": account.trade_type,
        "type": 1,
        "updateTime": account.create_time,
    }


def account_adjust_event(proposal: Proposal, company_id: int) -> dict[str, Any]:
    """``account_adjust``: a balance update approved (``checkStatus`` 2)."""
    return {
        "accountCurrency": proposal.currency,
        "accountId": proposal.account_id,
        "amount": Decimal(proposal.amount),
        "businessType": _QUOTA_ADJUSTMENT,
        "checkBy": "admin",
        "checkStatus": 2,
        "companyId": company_id,
        "createBy": "admin",
        "createTime": proposal.create_time,
        "customerNo": proposal.customer_no,
        "id": proposal.proposal_no[-6:],
        "proposalNo": proposal.proposal_no,
        "revision": 2,
        "tradeType": proposal.trade_type,
        "updateBy": "admin",
        "updateTime": proposal.create_time,
        "withdraw": proposal.withdraw,
    }
