"""``client.webhooks``: where the service posts trade notifications (reference §6.23)."""

from __future__ import annotations

from .._convert import bad_data
from .._read import deviation
from ..models.webhooks import SubscribeRequest
from ._base import AsyncResource

__all__ = ["SUBSCRIBE", "AsyncWebhooks"]

SUBSCRIBE = "admin.admin.CompanyApiKeyDubboService.subscribe"


class AsyncWebhooks(AsyncResource):
    """Webhook subscription. Receiving the notifications is :mod:`multimarkets.webhooks`' job."""

    __slots__ = ()

    async def subscribe(self, webhook_url: str, *, api_key: str | None = None) -> bool:
        """Have the events of ``api_key`` (default: this client's key) posted to ``webhook_url``; returns whether
        the service accepted it. Subscribing again replaces the URL (no unsubscribe is documented)."""
        key = self._session.credentials.api_key if api_key is None else api_key
        # Subscribing sets the URL; a repeat sets the same one.
        reply = await self._send(SUBSCRIBE, SubscribeRequest(api_key=key, webhook_url=webhook_url))
        where = {"biz_type": SUBSCRIBE, "trace": reply.trace}
        # Documented as the string "true"; a JSON boolean is read as well, as a deviation.
        if isinstance(reply.data, bool):
            deviation(f"{SUBSCRIBE} data", "a boolean where the docs send a string", strict=self._strict, **where)
            return reply.data
        if reply.data in ("true", "false"):
            return bool(reply.data == "true")
        raise bad_data(f"(subscription answer is not a boolean): {reply.data!r}", **where)
