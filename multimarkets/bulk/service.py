"""What the bulk engine needs from the service, and nothing more: register one row, list customers, the pace
of calls, and whom the journal belongs to. The customers resource provides them; the engine never sees the
client, its session or its resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import attrs

from ..models.customers import AddCustomerRequest, Customer
from ..models.paging import Page

__all__ = ["BeforeRetry", "CustomerService", "Origin", "Pacing", "RowReply"]

BeforeRetry = Callable[[], Awaitable[None]]
"""Awaited before the client sends one more attempt of a call (the journal notes the request durably first)."""


@attrs.frozen
class Origin:
    """The service and account a journal's rows are registered with: reusing the journal with another one
    would report rows as registered that this service never saw."""

    base_url: str
    api_key: str = attrs.field(repr=False)
    company_id: str | None
    """None where the key alone names the account (the Manager API's app id: the company id comes only with
    the auth answer)."""
    key_name: str = "API key"
    """What the API calls ``api_key`` (the Manager API: its app id), recorded with its fingerprint and named in
    a journal's mismatch message."""


@attrs.frozen
class Pacing:
    """How the client paces its calls, as far as a run resumed after a kill must know it."""

    requests_per_call: int
    """The most HTTP requests one call can make (the client's retries included)."""
    call_bound: float
    """The longest one call can last, in seconds: its attempts, each up to the timeout, and the waits between."""
    window: float | None
    """The rate window of the API key's limiter in seconds; None when the client does not limit."""
    occupy: Callable[[Sequence[float]], Awaitable[None]] = attrs.field(eq=False, repr=False)
    """Count requests that another process sent at the given wall-clock moments in the limiter's window."""
    backoff: Callable[[int], float] = attrs.field(eq=False, repr=False)
    """Seconds to wait before the n-th (from 1) repeat of a row's call: the client's own backoff."""


class RowReply(Protocol):
    """The answer to one row's registration call. The engine reads only how many HTTP requests it took, and
    hands it back to :meth:`CustomerService.customer_no`."""

    @property
    def attempts(self) -> int:
        """The HTTP requests the call made (the client's retries included)."""


class CustomerService(Protocol):
    """The customers side of a bulk run (``client.customers`` provides it)."""

    @property
    def origin(self) -> Origin:
        """The service and account the rows are registered with."""

    @property
    def pacing(self) -> Pacing:
        """How the client paces its calls."""

    def send_row(self, request: AddCustomerRequest, before_retry: BeforeRetry | None) -> Awaitable[RowReply]:
        """Send one validated row's registration; awaiting the result returns the answer (``before_retry``: None
        when nothing is to be noted before a retry). Not a coroutine of its own: the row awaits the session's,
        one frame less to pass at every suspension of every row's call."""

    def customer_no(self, reply: Any) -> str:
        """The customer number in ``reply``, an answer of :meth:`send_row` (raises when it holds none)."""

    async def list(self, *, page: int, size: int) -> Page[Customer]:
        """One page of the company's customers."""
