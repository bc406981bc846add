"""Shared pieces of the webhook tests: a platform key pair and signed deliveries built like the sandbox's."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from webhook_samples import MakeDelivery

from multimarkets.signing import RsaSha1Signer, RsaSha1Verifier
from multimarkets.webhooks import SqliteDedupStore


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


@pytest.fixture(scope="session")
def platform_keys() -> tuple[str, str]:
    """(private, public) of the key the "platform" signs notifications with."""
    return _key_pair()


@pytest.fixture(scope="session")
def other_keys() -> tuple[str, str]:
    """A second key pair, for forgeries."""
    return _key_pair()


@pytest.fixture
def verifier(platform_keys: tuple[str, str]) -> RsaSha1Verifier:
    return RsaSha1Verifier(platform_keys[1])


@pytest.fixture
def deliver(platform_keys: tuple[str, str]) -> MakeDelivery:
    """Build ``(body, headers)`` of a signed delivery; keyword overrides forge or drop parts of it."""
    signer = RsaSha1Signer(platform_keys[0])

    def make(
        payload: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        signer_key: str | None = None,
        drop: tuple[str, ...] = (),
        api_key: str = "ak-1",
        company_id: str = "220",
        trace: str = "t-test-trace-1",
    ) -> tuple[bytes, dict[str, str]]:
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        sign = RsaSha1Signer(signer_key) if signer_key is not None else signer
        headers = {
            "Content-Type": "application/json",
            "companyId": company_id,
            "trace": trace,
            "apiKey": api_key,
            "timestamp": str(ts),
            "version": "0.0.1",
            "signature": sign.sign(payload, ts),
        }
        for name in drop:
            headers.pop(name)
        return json.dumps(payload, separators=(",", ":")).encode(), headers

    return make


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteDedupStore]:
    """A store in ``tmp_path / "dedup.db"``, closed after the test."""
    store = SqliteDedupStore(tmp_path / "dedup.db")
    yield store
    store.close()
