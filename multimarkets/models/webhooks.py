"""Webhook subscription (reference §6.23)."""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from ..errors import ValidationError
from ._checks import text

__all__ = ["SubscribeRequest"]


@attrs.frozen
class SubscribeRequest:
    """Body of the subscription: the API key whose events are wanted and the URL they are posted to."""

    api_key: str
    webhook_url: str

    @classmethod
    def of(cls, webhook_url: str, api_key: str) -> SubscribeRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        url = text(webhook_url, "webhook_url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError("webhook_url", "must be an absolute http:// or https:// URL")
        return cls(api_key=text(api_key, "api_key"), webhook_url=url)
