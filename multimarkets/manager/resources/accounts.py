"""``manager.accounts``: customers' trading accounts, their balances, and balance updates (reference §5.9-5.10)."""

from __future__ import annotations

from decimal import Decimal

from ..._convert import to_wire
from ..._read import read
from ...errors import MultiMarketsError, Outcome, OutcomeUnknownError, classify
from ...models._checks import request_of
from ...resources._base import AsyncResource
from ..models import BalanceUpdateRequest, ManagerAccount, QueryAccountsRequest
from .catalog import _company_id

__all__ = ["ACCOUNTS", "BALANCE_UPDATE", "AsyncManagerAccounts"]

ACCOUNTS = "customer.admin.CustomerAdminApiService.queryAccountList"
BALANCE_UPDATE = "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal"


class AsyncManagerAccounts(AsyncResource):
    """Trading accounts and balances."""

    __slots__ = ()

    async def list(self, customer_no: str, trade_type: int) -> list[ManagerAccount]:
        """A customer's accounts of one trading mode (1 contract full position, 2 isolated, 5 spot, ...), one per
        currency, with their balances."""
        request = request_of(QueryAccountsRequest, locals())
        return await self._post(ACCOUNTS, request, list[ManagerAccount])

    async def update_balance(
        self,
        customer_no: str,
        *,
        currency: str,
        trade_type: int,
        amount: Decimal | int | str,
        account_id: int | None = None,
        remark: str | None = None,
    ) -> str | None:
        """Credit (positive ``amount``) or claw back (negative) a customer's account, e.g. a bonus; returns the
        adjustment proposal number (None where the service answers only ``true``).

        The service has no idempotency key, so an attempt whose answer was lost is never repeated: the call then
        raises :class:`~multimarkets.OutcomeUnknownError`, saying the update may have been applied; check the
        balance with :meth:`list` before trying again.
        """
        request = BalanceUpdateRequest(
            customer_no=customer_no,
            account_currency=currency,
            trade_type=trade_type,
            amount=amount,
            account_id=account_id,
            remark=remark,
        )
        # The token first: an auth call whose answer was lost must not read as a balance update that may have been
        # applied (nothing of it was sent).
        await _company_id(self)
        try:
            reply = await self._session.request(BALANCE_UPDATE, to_wire(request), idempotent=False)
        except MultiMarketsError as exc:
            if classify(exc) is not Outcome.AMBIGUOUS and not exc.after_ambiguous:
                raise
            raise OutcomeUnknownError(
                f"the balance update of {request.amount} {request.account_currency} for customer {customer_no} "
                f"(trade type {trade_type}) may have been applied: its answer was lost ({type(exc).__name__}) and "
                f"it was not repeated. Check the balance with accounts.list({customer_no!r}, {trade_type}) "
                "or the account_adjust push before trying again.",
                cause=exc,
                trace=getattr(exc, "trace", None),
            ) from exc
        if isinstance(reply.data, bool) or reply.data is None:
            return None  # the older documented answer: data true
        return read(reply.data, str, strict=self._strict, biz_type=BALANCE_UPDATE, trace=reply.trace)
