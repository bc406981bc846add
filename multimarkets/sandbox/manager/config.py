"""Settings of the Manager side of the sandbox, and the credentials a Manager client needs."""

from __future__ import annotations

import attrs

from ...config import RateLimit, parse_duration
from ...errors import ConfigurationError

__all__ = ["DEFAULT_MANAGER_RATE_LIMIT", "ManagerConfig", "ManagerCredentials"]

DEFAULT_MANAGER_RATE_LIMIT = RateLimit(300, 60.0)
"""The documented limit: 300 requests per minute per endpoint."""


def _seconds(value: float | str) -> float:
    try:
        seconds = parse_duration(value) if isinstance(value, str) else float(value)
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a duration such as 2h, 30s or 250ms") from None
    if seconds <= 0:
        raise ConfigurationError("the token lifetime must be positive")
    return seconds


def _rate_limit(value: RateLimit | str) -> RateLimit:
    return RateLimit.parse(value) if isinstance(value, str) else value


@attrs.frozen
class ManagerConfig:
    """How the sandbox plays the Manager API (``Sandbox(manager=ManagerConfig(...))``).

    ``company_id`` is the white label's id (the auth call's ``data.id``); ``app_id``, ``app_secret`` and
    ``private_key`` (the company's RSA-1024 key, base64 PKCS#8) are generated when None, and kept in the
    sandbox's ``db`` when it has one. ``token_lifetime`` (seconds or ``"2h"``, ``"5s"``) is how long an
    issued token is accepted, measured on the sandbox's monotonic ``clock``; ``rate_limit`` applies per
    endpoint (bizType), ``"300/60s"`` by default; ``push_drop_rate`` the chance that the Data Push socket
    is closed after a message (seeded by the sandbox's ``seed``), to exercise reconnects and replays.
    """

    company_id: int = 1
    app_id: str | None = None
    app_secret: str | None = attrs.field(default=None, repr=False)
    private_key: str | None = attrs.field(default=None, repr=False)
    token_lifetime: float = attrs.field(default=7200.0, converter=_seconds)
    rate_limit: RateLimit = attrs.field(default=DEFAULT_MANAGER_RATE_LIMIT, converter=_rate_limit)
    push_drop_rate: float = attrs.field(default=0.0, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)])


@attrs.frozen
class ManagerCredentials:
    """What a Manager client needs to talk to the sandbox: ``base_url`` (``{url}/openapi-b``), the app id and
    secret the auth call takes, the company id, and the company key pair (base64 X.509 public key that
    encrypts request bodies, base64 PKCS#8 private key the sandbox decrypts them with)."""

    base_url: str
    app_id: str
    app_secret: str = attrs.field(repr=False)
    company_id: int
    public_key: str
    private_key: str = attrs.field(repr=False)
