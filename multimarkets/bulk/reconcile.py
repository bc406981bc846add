"""Reconcile rules: one walk over the customer list finds the customer numbers of rows the service said
already exist (and settles rows whose last attempts were lost), matching by e-mail or phone; then every row
left pending gets its final outcome."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import attrs

from ..models.customers import Customer
from .journal import RunJournal
from .outcome import RowOutcome
from .policy import PROBABLY_OURS
from .rows import email_key, phone_key
from .service import CustomerService
from .store import StoredRow

__all__ = ["emit_pending", "reconcile"]

logger = logging.getLogger("multimarkets")

PAGE_SIZE = 100
"""Customers per list request: the documented default page sizes are 20 and 100, the maximum unknown."""

_CHUNK = 256
"""Pending rows read back at once."""


async def _settle_page(journal: RunJournal, page: Sequence[Customer]) -> int:
    by_email = {email_key(c.email): c.customer_no for c in page if c.email}
    by_phone = {phone_key(c.phone_area, c.phone): c.customer_no for c in page if c.phone}
    found = []
    for row in journal.rows.match(filter(None, by_email), filter(None, by_phone)):
        number = by_email.get(email_key(row.email)) or by_phone.get(row.phone_key)
        if number is not None:
            found.append(attrs.evolve(row, customer_no=number))
    if found:
        await journal.record(*found)
    return len(found)


async def reconcile(service: CustomerService, journal: RunJournal) -> None:
    """Record the customer number of every pending row found in the customer list (rows stay pending; see
    :func:`emit_pending`). Stops early once every pending row has a number. Each page request is noted like a
    registration, so that a run killed here resumes within the rate limit."""
    wanted = journal.rows.count_pending()
    if not wanted:
        return
    logger.info("reconciling %d row(s) against the customer list", wanted)
    number = 1
    while True:
        key = journal.start_call(service.pacing.requests_per_call)
        await journal.record()
        try:
            page = await service.list(page=number, size=PAGE_SIZE)
        finally:
            journal.end_call(key, None)
        page.check_number(number)  # raises ResponseFormatError: the engine ends the pass as for any API error
        wanted -= await _settle_page(journal, page.items)
        if wanted <= 0 or not page.has_next:
            return
        number += 1


async def emit_pending(
    journal: RunJournal, input_rows: int, emit: Callable[[StoredRow], Awaitable[None]], *, finish: bool
) -> None:
    """Emit the rows left for the reconcile pass. With ``finish``, the pass walked the whole list (or found
    every number), so what it did not find is final and recorded as such."""
    after = -1
    while True:
        rows = journal.rows.pending(after, input_rows, _CHUNK)
        if not rows:
            return
        after = rows[-1].position
        if finish:
            rows = [_finished(journal, row) for row in rows]
            await journal.record(*rows)
        for row in rows:
            await emit(row)


def _finished(journal: RunJournal, row: StoredRow) -> StoredRow:
    if row.customer_no is not None and row.ambiguous:
        twin = journal.rows.registered_row(row.customer_no)
        if twin is not None and twin != row.position + 1:
            # Another row of this input with the same phone or e-mail registered it, not our lost attempt.
            return attrs.evolve(
                row,
                state=RowOutcome.ALREADY_EXISTS.value,
                message=f"registered by row {twin} of this input",
                ambiguous=False,
                retryable=False,
                pending=False,
            )
    if row.state == RowOutcome.FAILED.value and row.customer_no is not None:
        # The list holds it, so one of our lost attempts registered it after all.
        return attrs.evolve(
            row,
            state=RowOutcome.ALREADY_EXISTS.value,
            code=None,
            message=PROBABLY_OURS,
            retryable=False,
            pending=False,
        )
    return attrs.evolve(row, pending=False)
