"""The Manager customers side of a bulk run (:class:`multimarkets.bulk.service.CustomerService`): the bulk engine
registers through ``addCusAndOpenAccountAndKyc`` with the same journal, resume and per-row outcomes."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from ..._convert import to_wire
from ..._transport import Reply
from ...bulk.service import BeforeRetry, Origin
from ...models.customers import AddCustomerRequest, Customer
from ...models.paging import Page
from ...resources.customers import customer_no_of, pacing_of
from ..models import AddCustomerKycRequest, TradeTypeCurrencies
from ..scheme import ManagerScheme

if TYPE_CHECKING:
    from .customers import AsyncManagerCustomers

__all__ = ["ManagerBulkService"]


class ManagerBulkService:
    """Registers each row with the run's trading accounts; paced by the registration endpoint's limiter."""

    __slots__ = ("_accounts", "_customers", "origin", "pacing")

    def __init__(self, customers: AsyncManagerCustomers, accounts: tuple[TradeTypeCurrencies, ...]) -> None:
        from .customers import REGISTER

        session = customers._session
        scheme = session.scheme
        if not isinstance(scheme, ManagerScheme):
            raise TypeError("a Manager resource needs a Manager session")
        self._customers = customers
        self._accounts = accounts
        # The app id names the white label; its company id is only known after the auth call.
        self.origin = Origin(session.base_url, scheme.credentials.app_id, None, key_name="app id")
        # One more request per call than the retries allow: a renewal after an expired token repeats it once.
        self.pacing = pacing_of(session, REGISTER, session.max_retries + 2)

    def send_row(self, request: AddCustomerRequest, before_retry: BeforeRetry | None) -> Awaitable[Reply]:
        from .customers import REGISTER

        body = to_wire(AddCustomerKycRequest(customer=request, trade_type_currency_list=self._accounts))
        return self._customers._session.request(REGISTER, body, before_retry=before_retry)

    def customer_no(self, reply: Reply) -> str:
        from .customers import REGISTER

        return customer_no_of(reply, REGISTER, strict=self._customers._strict)

    async def list(self, *, page: int, size: int) -> Page[Customer]:
        return await self._customers.list(page=page, size=size)
