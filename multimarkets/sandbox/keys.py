"""API keys the sandbox accepts and the platform key it signs webhooks with.

Keys not given are generated (RSA-1024, like the service's). With a database the generated keys are kept
in it, so a restart with the same ``db`` accepts the same credentials (the file therefore holds secret keys).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..config import Credentials, RateLimit
from ..errors import ConfigurationError
from ..signing import load_private_key
from .state import IDENTITY_PREFIX, Store

__all__ = [
    "ApiKeyConfig",
    "KeyRing",
    "generate_secret_key",
    "key_ring",
    "platform_secret_key",
    "public_key_of",
    "resolve_keys",
]

_KEYS_META = IDENTITY_PREFIX + "keys"
_PLATFORM_META = IDENTITY_PREFIX + "platform"


@attrs.frozen
class ApiKeyConfig:
    """One API key the sandbox accepts; whatever is None is generated or taken from the sandbox's defaults."""

    company_id: str = attrs.field(default="1", converter=str)
    api_key: str | None = None
    secret_key: str | None = attrs.field(default=None, repr=False)
    rate_limit: RateLimit | None = None
    ban: float | None = None
    """Seconds of the first ban; each further ban of this key adds as much again."""


def generate_secret_key() -> str:
    """A fresh RSA-1024 private key as base64 PKCS#8 DER (the form the service issues)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return base64.b64encode(der).decode()


def public_key_of(secret_key: str) -> str:
    """The base64 X.509 SubjectPublicKeyInfo DER public key of ``secret_key``."""
    der = (
        load_private_key(secret_key)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(der).decode()


def resolve_keys(configs: Sequence[ApiKeyConfig], store: Store) -> list[Credentials]:
    """Credentials for every configured key, reusing what the store remembers for keys left unspecified."""
    stored_text = store.get_meta(_KEYS_META)
    stored: list[dict[str, str]] = json.loads(stored_text) if stored_text else []
    resolved: list[Credentials] = []
    for index, config in enumerate(configs):
        previous = stored[index] if index < len(stored) else None
        if previous is not None and previous["company_id"] != config.company_id:
            previous = None
        api_key = config.api_key or (previous["api_key"] if previous else secrets.token_hex(16))
        secret_key = config.secret_key or (previous["secret_key"] if previous else generate_secret_key())
        resolved.append(Credentials(api_key, secret_key, config.company_id))
    if len({c.api_key for c in resolved}) != len(resolved):
        raise ConfigurationError("the sandbox's API keys must be distinct")
    rows = [{"api_key": c.api_key, "secret_key": c.secret_key, "company_id": c.company_id} for c in resolved]
    store.set_meta(_KEYS_META, json.dumps(rows))
    return resolved


def platform_secret_key(store: Store) -> str:
    """The key the sandbox signs webhook deliveries with, kept across restarts when persistent."""
    secret = store.get_meta(_PLATFORM_META)
    if secret is None:
        secret = generate_secret_key()
        store.set_meta(_PLATFORM_META, secret)
    return secret


@attrs.frozen
class KeyRing:
    """The keys a sandbox serves with: every API key's credentials with its public key, and the platform key."""

    credentials: tuple[Credentials, ...]
    public_keys: tuple[str, ...]
    platform_secret: str = attrs.field(repr=False)
    platform_public_key: str


def key_ring(configs: Sequence[ApiKeyConfig], store: Store) -> KeyRing:
    """The keys for ``configs``, generated where the store remembers none (RSA: call it off the event loop)."""
    credentials = tuple(resolve_keys(configs, store))
    platform = platform_secret_key(store)
    return KeyRing(
        credentials, tuple(public_key_of(c.secret_key) for c in credentials), platform, public_key_of(platform)
    )
