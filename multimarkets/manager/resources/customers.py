"""``manager.customers``: list, register, look up and group the white label's customers (reference §5.5-5.8)."""

from __future__ import annotations

import builtins
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from ..._read import read
from ...errors import ValidationError
from ...models._checks import request_of
from ...models.customers import Customer, CustomerDetail, RegisterSource, registration_request
from ...models.paging import Page
from ...resources._base import AsyncResource
from ...resources._paging import walk
from ...resources.customers import CUSTOMER_DETAIL, CUSTOMER_PAGE, customer_no_of
from ..models import (
    MAX_PAGE_SIZE,
    AddCustomerKycRequest,
    CustomerGroup,
    DetailType,
    ManagerCustomerDetailRequest,
    ManagerCustomerListRequest,
    TradeTypeCurrencies,
)

if TYPE_CHECKING:
    # Only for annotations: the bulk engine (and sqlite3, csv) loads on a first bulk run.
    from ...bulk import BulkReport, OnResult, RowResult, Rows
    from ...bulk.options import BulkOptions
    from ._bulk import ManagerBulkService

__all__ = ["CUSTOMER_GROUPS", "REGISTER", "AsyncManagerCustomers"]

AccountsToOpen = Mapping[int, Iterable[str] | str] | Iterable[TradeTypeCurrencies]
"""Trading modes to open and their currencies: ``{1: ["USDT"]}`` or :class:`TradeTypeCurrencies` items."""

REGISTER = "customer.admin.WhiteCustomerAdminApiService.addCusAndOpenAccountAndKyc"
CUSTOMER_GROUPS = "customer.admin.CustomerGroupAdminApiService.groupList"


def _accounts(accounts: AccountsToOpen) -> tuple[Any, ...]:
    if isinstance(accounts, Mapping):
        return tuple(TradeTypeCurrencies(trade_type, currencies) for trade_type, currencies in accounts.items())
    return tuple(accounts)


class AsyncManagerCustomers(AsyncResource):
    """The white label's customers."""

    __slots__ = ()

    async def list(self, customer_no: str | None = None, *, page: int = 1, size: int = 20) -> Page[Customer]:
        """One page (from 1) of up to ``size`` customers (at most 2,000), or the one with ``customer_no``."""
        request = request_of(ManagerCustomerListRequest, locals())
        return await self._post(CUSTOMER_PAGE, request, Page[Customer])

    async def iterate(self, size: int = MAX_PAGE_SIZE) -> AsyncIterator[Customer]:
        """Every customer, walking the pages in order (``size`` per request, 2,000 by default)."""
        async for customer in walk(lambda page: self.list(page=page, size=size)):
            yield customer

    async def register(
        self,
        *,
        country: str,
        accounts: AccountsToOpen,
        email: str | None = None,
        phone: str | None = None,
        password: str | None = None,
        password_md5: str | None = None,
        register_source: RegisterSource | int | str = RegisterSource.SYSTEM,
        customer_group_id: int = 1,
        phone_area: str | None = None,
        email_area: str | None = None,
        remark: str | None = None,
        register_device: str | None = None,
        utm_source: str | None = None,
        utm_medium: str | None = None,
        utm_campaign: str | None = None,
        utm_content: str | None = None,
        utm_term: str | None = None,
        third_server_code: str | None = None,
    ) -> str:
        """Register a customer, open its trading accounts and return the new customer number.

        ``accounts`` maps each trading mode to open (1 contract full position, 2 isolated, 3 leverage, 5 spot)
        to its currencies, e.g. ``{1: ["USDT"]}``; they must match the customer group's. Give ``phone`` or
        ``email`` and exactly one of ``password`` (hashed to MD5 for you) or ``password_md5``;
        ``third_server_code`` is your own unique id of the customer (at most 50 characters). Bad input raises
        :class:`~multimarkets.ValidationError` before anything is sent; a phone or e-mail already registered
        raises :class:`~multimarkets.CustomerExistsError` (``after_ambiguous``: most likely registered by an
        earlier attempt of this call whose answer was lost).
        """
        request = AddCustomerKycRequest(
            customer=registration_request(locals()),
            trade_type_currency_list=_accounts(accounts),
            register_device=register_device,
            utm_source=utm_source,
            utm_medium=utm_medium,
            utm_campaign=utm_campaign,
            utm_content=utm_content,
            utm_term=utm_term,
            third_server_code=third_server_code,
        )
        # Retrying a lost answer is safe: phone/e-mail uniqueness turns a repeat into "already exists".
        return customer_no_of(await self._send(REGISTER, request), REGISTER, strict=self._strict)

    async def get(
        self, customer_no: str, customer_id: int | str, *, type: str = DetailType.BASE_INFO
    ) -> CustomerDetail:
        """One customer's information; the docs require both its number and its id (``Customer.id``).
        ``type`` is one of :class:`~multimarkets.manager.models.DetailType` (only the base shape is documented)."""
        request = request_of(ManagerCustomerDetailRequest, locals())
        return await self._post(CUSTOMER_DETAIL, request, CustomerDetail)

    async def groups(self) -> builtins.list[CustomerGroup]:
        """The company's customer groups."""
        # ASSUMPTION (reference §5.8): empty request schema; the answer is typed as one object, read as a list.
        reply = await self._send(CUSTOMER_GROUPS)
        data = [reply.data] if isinstance(reply.data, dict) else reply.data
        return read(
            data or [], builtins.list[CustomerGroup], strict=self._strict, biz_type=CUSTOMER_GROUPS, trace=reply.trace
        )

    async def register_many(
        self,
        rows: Rows,
        *,
        accounts: AccountsToOpen,
        concurrency: int = 8,
        journal: str | os.PathLike[str] | None = None,
        on_result: OnResult | None = None,
        reconcile: bool = True,
        row_retries: int = 3,
    ) -> BulkReport:
        """Register every row, opening the trading ``accounts`` (as in :meth:`register`) for each, with the
        Bridge client's bulk engine: the same ``journal`` (resume after a kill, nobody registered twice),
        per-row outcomes, concurrency and options as
        :meth:`multimarkets.resources.customers.AsyncCustomers.register_many`. Rows are
        :class:`~multimarkets.CustomerRegistration` models or mappings. An error of ``rows`` (a
        ``KeyboardInterrupt`` or ``SystemExit`` too, as any error) ends the run: the rows read before are worked
        to their outcomes, then it is raised to the caller. One of ``on_result`` (those two included)
        stops the run, the rows in flight cancelled (a journal keeps them resumable), and is raised the same way."""
        from ...bulk import engine

        service, options = self._bulk(accounts, concurrency, journal, reconcile, row_retries)
        return await engine.register_many(service, rows, options, on_result)

    async def stream_register(
        self,
        rows: Rows,
        *,
        accounts: AccountsToOpen,
        concurrency: int = 8,
        journal: str | os.PathLike[str] | None = None,
        reconcile: bool = True,
        row_retries: int = 3,
    ) -> AsyncIterator[RowResult]:
        """Like :meth:`register_many`, yielding each row's :class:`~multimarkets.RowResult` as it settles. An
        error of ``rows`` (``KeyboardInterrupt`` and ``SystemExit`` included) ends the run as there: the rows read
        before are worked to their outcomes and yielded, then it is raised to the consumer."""
        from ...bulk import engine

        service, options = self._bulk(accounts, concurrency, journal, reconcile, row_retries)
        results = engine.stream_register(service, rows, options)
        async with aclosing(results):
            async for result in results:
                yield result

    def _bulk(
        self,
        accounts: AccountsToOpen,
        concurrency: int,
        journal: str | os.PathLike[str] | None,
        reconcile: bool,
        row_retries: int,
    ) -> tuple[ManagerBulkService, BulkOptions]:
        """The bulk engine's view of this resource and the run's options; no trading accounts is refused."""
        from ...bulk.options import BulkOptions
        from ._bulk import ManagerBulkService

        checked = _accounts(accounts)
        if not checked:
            raise ValidationError("accounts", "give at least one trading mode and its currencies")
        options = BulkOptions(concurrency=concurrency, journal=journal, reconcile=reconcile, row_retries=row_retries)
        return ManagerBulkService(self, checked), options
