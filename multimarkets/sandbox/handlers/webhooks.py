"""Webhook subscription (reference §6.23). Delivery itself is :mod:`multimarkets.sandbox.delivery`."""

from __future__ import annotations

import re
from typing import Any

from .. import codes
from ..context import BizError, Handler, RequestContext
from ..state import Subscription
from ._validate import require_str

__all__ = ["HANDLERS"]

_URL = re.compile(r"https?://\S+")


async def subscribe(ctx: RequestContext, body: dict[str, Any]) -> str:
    """Set the webhook URL of one of the company's API keys; re-subscribing replaces it.

    The data is the *string* ``"true"``, as documented.
    """
    api_key = require_str(body, "apiKey")
    url = require_str(body, "webhookUrl", pattern=_URL)
    owner = ctx.api_keys.get(api_key)
    if owner is None:
        raise BizError(codes.API_KEY_UNKNOWN)
    if owner != ctx.company_id:
        raise BizError(codes.NO_PERMISSION)
    ctx.store.subscriptions.put(api_key, Subscription(api_key, url, ctx.now_ms))
    return "true"


HANDLERS: dict[str, Handler] = {
    "admin.admin.CompanyApiKeyDubboService.subscribe": subscribe,
}
