# mypy: disable-error-code="misc"
"""Webhook subscription (reference §6.23)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import attrs

from ..errors import ValidationError
from ._checks import (
    checked,
    text,
)

__all__ = ["SubscribeRequest"]


def _url(value: Any, field: str) -> str:
    url = text(value, field)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(field, "must be an absolute http:// or https:// URL")
    return url


@attrs.frozen(kw_only=True)
class SubscribeRequest:
    """Body of the subscription: the API key whose events are wanted and the URL they are posted to."""

    api_key: str = attrs.field(repr=False, converter=checked(text))
    webhook_url: str = attrs.field(converter=checked(_url))
