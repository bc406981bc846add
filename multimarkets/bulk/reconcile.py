"""The reconcile pass: one walk over the customer list that finds the customer numbers of rows the service
said already exist (and settles rows whose last attempts were lost), matching by e-mail or phone."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs

from ..models.customers import Customer
from .journal import Journal
from .rows import email_key, phone_key
from .service import CustomerService

__all__ = ["reconcile"]

logger = logging.getLogger("multimarkets")

PAGE_SIZE = 100
"""Customers per list request: the documented default page sizes are 20 and 100, the maximum unknown."""


async def _settle_page(journal: Journal, page: Sequence[Customer]) -> int:
    by_email = {email_key(c.email): c.customer_no for c in page if c.email}
    by_phone = {phone_key(c.phone_area, c.phone): c.customer_no for c in page if c.phone}
    found = []
    for row in journal.match(filter(None, by_email), filter(None, by_phone)):
        number = by_email.get(email_key(row.email)) or by_phone.get(row.phone_key)
        if number is not None:
            found.append(attrs.evolve(row, customer_no=number))
    if found:
        await journal.record(*found)
    return len(found)


async def reconcile(service: CustomerService, journal: Journal) -> None:
    """Record the customer number of every pending row found in the customer list (rows stay pending; the
    engine settles them afterwards). Stops early once every pending row has a number. Each page request is
    journaled like a registration, so that a run killed here resumes within the rate limit."""
    wanted = journal.count_pending()
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
        wanted -= await _settle_page(journal, page.items)
        if wanted <= 0 or not page.has_next:
            return
        number += 1
