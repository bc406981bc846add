"""The validated settings of a :class:`~multimarkets.sandbox.Sandbox`, built from its constructor's options."""

from __future__ import annotations

import os
from collections.abc import Sequence

import attrs

from ..config import RateLimit, parse_duration
from ..errors import ConfigurationError
from .delivery import DeliveryPolicy
from .faults import FaultSpec, Latency
from .keys import ApiKeyConfig

__all__ = ["DEFAULT_RATE_LIMIT", "DEFAULT_WEBHOOK_POLICY", "MAX_API_KEYS", "SandboxConfig"]

DEFAULT_RATE_LIMIT = RateLimit(100, 60.0)
"""The documented limit: 100 requests per minute per API key."""
DEFAULT_WEBHOOK_POLICY = DeliveryPolicy()
MAX_API_KEYS = 100
"""The most API keys a sandbox serves. Each is an RSA key pair made when it starts (about 10 ms each, so 100 take
a second or two), and 100 keys at the documented 100 requests a minute each are more than a load test on one
machine sends; a mistyped count (100,000,000) started a sandbox that made keys silently for days."""


def _duration(value: float | str) -> float:
    if not isinstance(value, str):
        return float(value)
    try:
        return parse_duration(value)
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a duration such as 300s, 5m or 250ms") from None


def _keys(
    company_id: str, api_keys: int | Sequence[ApiKeyConfig] | None, secret_key: str | None
) -> tuple[ApiKeyConfig, ...]:
    if isinstance(api_keys, int) or api_keys is None:
        count = 1 if api_keys is None else api_keys
        if not 1 <= count <= MAX_API_KEYS:
            raise ConfigurationError(f"the sandbox serves 1 to {MAX_API_KEYS} API keys, not {count}")
        keys = tuple(ApiKeyConfig(company_id) for _ in range(count))
    else:
        keys = tuple(api_keys)
        if not 1 <= len(keys) <= MAX_API_KEYS:
            raise ConfigurationError(f"the sandbox serves 1 to {MAX_API_KEYS} API keys, not {len(keys)}")
    if secret_key is not None:
        if keys[0].secret_key is not None:
            raise ConfigurationError("secret_key= and api_keys[0].secret_key both set the default key's secret")
        keys = (attrs.evolve(keys[0], secret_key=secret_key), *keys[1:])
    return keys


@attrs.frozen
class SandboxConfig:
    """The validated settings of a :class:`~multimarkets.sandbox.Sandbox` (see its constructor)."""

    host: str
    port: int
    rate_limit: RateLimit
    ban: float
    recv_window_max: int
    db: str | None
    seed: int | None
    faults: FaultSpec
    latency: Latency | None
    keys: tuple[ApiKeyConfig, ...]
    slow_body_seconds: float
    webhook: DeliveryPolicy

    @classmethod
    def of(
        cls,
        *,
        host: str,
        port: int,
        rate_limit: RateLimit | str,
        ban: float | str,
        recv_window_max: int,
        db: str | os.PathLike[str] | None,
        seed: int | None,
        faults: FaultSpec | str | None,
        latency: Latency | str | None,
        secret_key: str | None,
        company_id: str,
        api_keys: int | Sequence[ApiKeyConfig] | None,
        slow_body_seconds: float,
        webhook: DeliveryPolicy,
    ) -> SandboxConfig:
        """Check and normalise the constructor's options; raises :class:`ConfigurationError`."""
        return cls(
            host=host,
            port=port,
            rate_limit=RateLimit.parse(rate_limit) if isinstance(rate_limit, str) else rate_limit,
            ban=_duration(ban),
            recv_window_max=recv_window_max,
            db=os.fspath(db) if db is not None else None,
            seed=seed,
            faults=faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults),
            latency=Latency.parse(latency) if isinstance(latency, str) else latency,
            keys=_keys(company_id, api_keys, secret_key),
            slow_body_seconds=slow_body_seconds,
            webhook=webhook,
        )
