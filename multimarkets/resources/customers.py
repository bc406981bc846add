"""``client.customers``: register and manage the broker's customers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING

from .._convert import bad_data
from .._read import read
from .._retry import BACKOFF_CAP, backoff
from .._transport import AsyncSession, Reply
from ..models._checks import request_of
from ..models.customers import (
    AddCustomerRequest,
    CancelCustomerRequest,
    Customer,
    CustomerDetail,
    CustomerDetailRequest,
    CustomerListRequest,
    RegisterSource,
    wire_pwd,
)
from ..models.paging import Page
from ._base import AsyncResource
from ._paging import walk

if TYPE_CHECKING:
    # Only for annotations: the bulk engine (and sqlite3, csv) loads on a first bulk run.
    from ..bulk import BulkReport, OnResult, RowResult, Rows
    from ..bulk.service import Origin, Pacing

__all__ = ["ADD_CUSTOMER", "CANCEL_CUSTOMER", "CUSTOMER_DETAIL", "CUSTOMER_PAGE", "AsyncCustomers"]

ADD_CUSTOMER = "customer.admin.WhiteCustomerAdminApiService.addCustomer"
CUSTOMER_PAGE = "customer.admin.WhiteCustomerAdminApiService.page"
# ASSUMPTION (reference §6.7): the page text names ``detail``; its HTTP sample posts to ``detailByCustomerNo``.
CUSTOMER_DETAIL = "customer.admin.WhiteCustomerAdminApiService.detail"
CANCEL_CUSTOMER = "customer.admin.WhiteCustomerAdminApiService.destroyByCustomerNo"


def customer_no_of(reply: Reply, biz_type: str, *, strict: bool) -> str:
    """The customer number in a registration answer: a string, as documented (a number is read, with a warning,
    unless ``strict``)."""
    customer_no = reply.data
    if type(customer_no) is not str:  # a string needs no reading (this runs for every registration)
        customer_no = read(customer_no, str, strict=strict, biz_type=biz_type, trace=reply.trace)
    if not customer_no:
        raise bad_data("(no customer number)", biz_type=biz_type, trace=reply.trace)
    return customer_no


def pacing_of(session: AsyncSession, biz_type: str, attempts: int) -> Pacing:
    """How ``session`` paces calls of ``biz_type`` that make at most ``attempts`` requests, as a bulk run must
    know it: to wait between a row's calls, and to count a killed run's requests in the rate window."""
    from ..bulk.service import Pacing

    limiter = session.limiter_of(biz_type)
    return Pacing(
        requests_per_call=attempts,
        call_bound=attempts * session.timeout + session.max_retries * BACKOFF_CAP,
        window=None if limiter.limit is None else limiter.limit.window,
        occupy=limiter.occupy,
        backoff=backoff,
    )


class AsyncCustomers(AsyncResource):
    """Customer management (reference §6.5-6.8)."""

    __slots__ = ()

    async def register(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        password: str | None = None,
        password_md5: str | None = None,
        country: str,
        register_source: RegisterSource | int | str,
        customer_group_id: int = 1,
        phone_area: str | None = None,
        email_area: str | None = None,
        remark: str | None = None,
    ) -> str:
        """Register a customer and return the new customer number.

        Give ``phone`` or ``email`` (or both) and exactly one of ``password`` (hashed to MD5 for you) or
        ``password_md5``. Bad input raises :class:`~multimarkets.ValidationError` before anything is sent.
        A phone or e-mail already registered raises :class:`~multimarkets.CustomerExistsError`; if its
        ``after_ambiguous`` is true, an earlier attempt of this very call (whose answer was lost) most
        likely registered the customer.
        """
        # Keyword by keyword: taking them from locals() cost a dict and a comprehension per call (12k instructions).
        request = AddCustomerRequest(
            pwd=wire_pwd(password, password_md5),
            country=country,
            register_source=register_source,
            customer_group_id=customer_group_id,
            phone=phone,
            email=email,
            phone_area=phone_area,
            email_area=email_area,
            remark=remark,
        )
        reply = await self._register(request)
        return customer_no_of(reply, ADD_CUSTOMER, strict=self._strict)

    def _register(
        self, request: AddCustomerRequest, before_retry: Callable[[], Awaitable[None]] | None = None
    ) -> Awaitable[Reply]:
        # Retrying an ambiguous attempt is safe: phone/e-mail uniqueness turns a repeat into "already exists".
        # Not a coroutine of its own: the caller awaits _send's, one frame less to pass at every suspension.
        return self._send(ADD_CUSTOMER, request, before_retry=before_retry)

    # --- list, detail, cancellation ---------------------------------------------------------------------------

    async def list(self, customer_no: str | None = None, *, page: int = 1, size: int = 20) -> Page[Customer]:
        """One page of the company's customers (``page`` counts from 1), or the one with ``customer_no`` (blank
        means no filter, as in ``accounts.list``)."""
        request = request_of(CustomerListRequest, locals())
        return await self._post(CUSTOMER_PAGE, request, Page[Customer])

    async def iterate(self, size: int = 100) -> AsyncIterator[Customer]:
        """Every customer, walking the pages in order (``size`` per request)."""
        async for customer in walk(lambda page: self.list(page=page, size=size)):
            yield customer

    async def get(self, customer_no: str) -> CustomerDetail:
        """The base information of one customer; an unknown number raises :class:`~multimarkets.NotFoundError`."""
        return await self._post(CUSTOMER_DETAIL, CustomerDetailRequest(customer_no=customer_no), CustomerDetail)

    async def cancel(self, customer_no: str, *, remark: str, auto: bool = False) -> None:
        """Close a customer's account. With ``auto=False`` the white-label back office must approve it (twice)
        and the customer is "cancelling" meanwhile; ``auto=True`` closes it at once. The service refuses
        (:class:`~multimarkets.APIError`) e.g. a customer with open positions, balances or liabilities."""
        # A repeat of a cancellation asks for the same end state, so retrying a lost answer is harmless.
        await self._send(CANCEL_CUSTOMER, CancelCustomerRequest(customer_no=customer_no, remark=remark, auto=auto))

    # --- bulk registration (multimarkets.bulk) ---------------------------------------------------------------

    async def register_many(
        self,
        rows: Rows,
        *,
        concurrency: int = 8,
        journal: str | os.PathLike[str] | None = None,
        on_result: OnResult | None = None,
        reconcile: bool = True,
        row_retries: int = 3,
    ) -> BulkReport:
        """Register every row and return the counts of what happened to them.

        ``rows``: :class:`~multimarkets.CustomerRegistration` models or mappings with the same field names,
        from any iterable or async iterable, read lazily (memory stays flat). ``concurrency`` rows (1 to
        :data:`~multimarkets.bulk.MAX_CONCURRENCY`, 100; else ``ConfigurationError``, nothing sent) are in flight
        at once, all paced by this client's rate limiter. ``on_result`` is called with each row's
        :class:`~multimarkets.RowResult` in the event loop (in the sync client: its own, run by the calling
        thread or the client's), so it must return quickly and not call the client. ``journal``: a SQLite file
        recording each row as it goes; running again with the same rows and journal resumes, skipping settled
        rows (without one, the run keeps its state in memory and cannot be resumed, and the report holds counts
        only: each row's result comes from ``on_result``). Transient failures are retried ``row_retries`` times
        beyond the client's own retries; ``reconcile`` walks the customer list once at the end to fill in the
        customer numbers of ``already_exists`` rows. A fatal error (ban,
        bad key or signature, no permission, a redirect, a refused proxy, the client closed) stops the run: it
        is in ``stopped_by`` and the rows not sent are ``not_attempted``. If ``rows`` raises (a CSV reader meeting
        a bad line; a ``KeyboardInterrupt`` or ``SystemExit`` too, as any error), the rows read before are worked
        as if the input ended there, then its error is raised to the caller (no report is returned: their
        outcomes are seen through ``on_result`` or the journal); ``rows`` is not read again. If ``on_result``
        raises (``KeyboardInterrupt`` and ``SystemExit`` included), the run stops there, the rows in flight
        cancelled (a journal keeps them resumable), and its error is raised the same way. A run cancelled with rows
        in flight (or stopped as above) logs a warning with how many may have reached the service; the journal
        reads them back as ``not_attempted``, "maybe sent", and a resume sends them again (one the service holds
        is then ``already_exists``, probably ours).
        """
        from ..bulk import engine
        from ..bulk.options import BulkOptions

        options = BulkOptions(concurrency=concurrency, journal=journal, reconcile=reconcile, row_retries=row_retries)
        return await engine.register_many(_BulkService(self), rows, options, on_result)

    async def stream_register(
        self,
        rows: Rows,
        *,
        concurrency: int = 8,
        journal: str | os.PathLike[str] | None = None,
        reconcile: bool = True,
        row_retries: int = 3,
    ) -> AsyncIterator[RowResult]:
        """Like :meth:`register_many`, yielding each row's :class:`~multimarkets.RowResult` as it settles
        (in completion order; ``already_exists`` rows after the reconcile pass). Stopping early cancels the
        rows in flight; the journal, if any, keeps them resumable. An error of ``rows`` (``KeyboardInterrupt``
        and ``SystemExit`` included) ends the run as in :meth:`register_many`: the rows read before are worked
        to their outcomes and yielded, then it is raised to the consumer."""
        from ..bulk import engine
        from ..bulk.options import BulkOptions

        options = BulkOptions(concurrency=concurrency, journal=journal, reconcile=reconcile, row_retries=row_retries)
        results = engine.stream_register(_BulkService(self), rows, options)
        async with aclosing(results):
            async for result in results:
                yield result


class _BulkService:
    """The customers side of a bulk run (:class:`multimarkets.bulk.service.CustomerService`)."""

    __slots__ = ("_customers", "origin", "pacing", "send_row")

    def __init__(self, customers: AsyncCustomers) -> None:
        from ..bulk.service import Origin

        session = customers._session
        self.origin: Origin = Origin(session.base_url, session.credentials.api_key, session.credentials.company_id)
        self.pacing: Pacing = pacing_of(session, ADD_CUSTOMER, session.max_retries + 1)
        self._customers = customers
        # The resource's own method, bound once: a method of this class around it would cost a Python call, and
        # a coroutine frame more to pass at every suspension of every row's call.
        self.send_row = customers._register

    def customer_no(self, reply: Reply) -> str:
        return customer_no_of(reply, ADD_CUSTOMER, strict=self._customers._strict)

    async def list(self, *, page: int, size: int) -> Page[Customer]:
        return await self._customers.list(page=page, size=size)
