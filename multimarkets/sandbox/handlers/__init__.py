"""Business handlers, one module per domain; :data:`HANDLERS` maps every bizType the sandbox serves.

A handler is ``async def handler(ctx: RequestContext, body: dict[str, Any]) -> data``. The gateway has
already checked the headers, rate limit, timestamp and signature; the handler validates the body (helpers in
``_validate``), reads and writes ``ctx.store``, and returns what goes into the envelope's ``data``, or raises
``BizError(code)`` for a business error. ``ctx.emit(event_type, content)`` queues a webhook event for the
caller's subscribed URL; ``ctx.require_group("tradeApi")`` rejects a request without that ``group`` header.

To add a domain: write ``handlers/<domain>.py`` ending with a ``HANDLERS: dict[str, Handler]`` table
(bizType -> handler), import the module here and add it to ``_DOMAINS``. A bizType served twice is an error
at import time. New state goes into its own table: ``ctx.store.table("orders", Order)`` with ``Order`` an
attrs class. Users can also pass ``Sandbox(handlers={...})`` to add or replace bizTypes without editing this.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..context import Handler
from . import accounts, catalog, customers, trading, webhooks

__all__ = ["HANDLERS", "merge"]


def merge(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    """One table from several; a bizType defined twice raises ``ValueError``."""
    merged: dict[str, Handler] = {}
    for table in tables:
        for biz_type, handler in table.items():
            if biz_type in merged:
                raise ValueError(f"bizType {biz_type} has two handlers")
            merged[biz_type] = handler
    return merged


_DOMAINS = (customers, webhooks, catalog, accounts, trading)

HANDLERS: dict[str, Handler] = merge(*(domain.HANDLERS for domain in _DOMAINS))
"""Every bizType the sandbox serves."""
