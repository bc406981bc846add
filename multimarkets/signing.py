"""Request signing: the canonical string and the SHA1WithRSA signer.

The Bridge API signs the JSON body plus the ``timestamp`` header (reference §2.2). The scheme is inferred
from the Open API of the same platform; swap it by passing any object that satisfies :class:`Signer`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._json import dumps, encode
from .errors import ConfigurationError

# cryptography is imported where a key is read (more than 10 ms of a start): a client with a signer of its own
# and a process that only imports the SDK never load it.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = [
    "RsaSha1Signer",
    "RsaSha1Verifier",
    "Signer",
    "canonical_body",
    "canonical_of",
    "canonical_string",
    "encode_body",
    "load_private_key",
    "load_public_key",
]


def _drop_nulls(value: Any) -> Any:
    # ASSUMPTION (reference §2.2): nested objects are canonicalised recursively, nulls dropped at every level.
    if isinstance(value, Mapping):
        return {str(k): _drop_nulls(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_nulls(v) for v in value]
    return value


def canonical_body(body: Any) -> str:
    """The body part of the signed text: sorted compact JSON without quotes or nulls. Bodies that differ only
    in spelling (key order, spacing, ``"1"`` for ``1``) have the same text, and the same signature."""
    return dumps(_drop_nulls(body or {})).replace('"', "")


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The request body as sent: compact UTF-8 JSON, keys sorted, so that :func:`canonical_of` can derive the
    signed text from it instead of encoding the body a second time. A Decimal is sent as an exact string;
    :class:`~multimarkets.ValidationError` names a value JSON or UTF-8 cannot carry."""
    return encode(body)


def canonical_of(encoded: bytes) -> str | None:
    """:func:`canonical_body` of a body encoded by :func:`encode_body`, or None when it may hold a ``null``
    (which the canonical text drops; then use :func:`canonical_body`)."""
    text = encoded.decode("utf-8")
    return text.replace('"', "") if "null" not in text else None


def canonical_string(body: Mapping[str, Any] | None, timestamp: int) -> str:
    """Return the exact text that is signed: :func:`canonical_body`, then the timestamp."""
    return canonical_body(body) + str(timestamp)


def _der_from_text(key: str, kind: str) -> bytes:
    stripped = "".join(key.split())
    try:
        return base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"the {kind} key is neither PEM nor base64 DER") from None


def load_private_key(secret_key: str | bytes) -> rsa.RSAPrivateKey:
    """Load an RSA private key given as base64 PKCS#8 DER (as issued by the service) or PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    text = secret_key.decode() if isinstance(secret_key, bytes) else secret_key
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(_der_from_text(text, "secret"), password=None)
    except (ValueError, TypeError):
        # The underlying message can quote key material; never chain it.
        raise ConfigurationError("the secret key could not be read as an RSA private key (PKCS#8 or PEM)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError("the secret key is not an RSA key")
    return key


def load_public_key(public_key: str | bytes) -> rsa.RSAPublicKey:
    """Load an RSA public key given as base64 X.509 SubjectPublicKeyInfo DER or PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    text = public_key.decode() if isinstance(public_key, bytes) else public_key
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(_der_from_text(text, "public"))
    except (ValueError, TypeError):
        raise ConfigurationError("the public key could not be read as an RSA public key (X.509 or PEM)") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError("the public key is not an RSA key")
    return key


@runtime_checkable
class Signer(Protocol):
    """Anything that turns a request body and timestamp into the ``signature`` header value."""

    def sign(self, body: Mapping[str, Any] | None, timestamp: int) -> str: ...


class RsaSha1Signer:
    """SHA1WithRSA (PKCS#1 v1.5) over :func:`canonical_string`, standard base64 output."""

    __slots__ = ("_hash", "_key", "_padding")

    def __init__(self, secret_key: str | bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        self._key = load_private_key(secret_key)
        self._padding, self._hash = padding.PKCS1v15(), hashes.SHA1()

    def __repr__(self) -> str:
        return "RsaSha1Signer(<secret key hidden>)"

    def sign(self, body: Mapping[str, Any] | None, timestamp: int) -> str:
        """Sign ``body`` and ``timestamp``; return the base64 signature."""
        return self.sign_text(canonical_string(body, timestamp))

    def sign_text(self, text: str) -> str:
        """Sign an already canonical string."""
        raw = self._key.sign(text.encode("utf-8"), self._padding, self._hash)
        return base64.b64encode(raw).decode("ascii")


class RsaSha1Verifier:
    """Checks signatures made by :class:`RsaSha1Signer` with the matching public key."""

    __slots__ = ("_hash", "_key", "_padding")

    def __init__(self, public_key: str | bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        self._key = load_public_key(public_key)
        self._padding, self._hash = padding.PKCS1v15(), hashes.SHA1()

    def verify(self, body: Mapping[str, Any] | None, timestamp: int, signature: str, *, raw_body: bytes = b"") -> bool:
        """Return True when ``signature`` is valid for ``body`` and ``timestamp`` (this scheme signs the decoded
        body, so ``raw_body``, the bytes as received, is not needed)."""
        return self.verify_text(canonical_string(body, timestamp), signature)

    def verify_text(self, text: str, signature: str) -> bool:
        """Return True when ``signature`` is valid for the canonical string ``text``."""
        from cryptography.exceptions import InvalidSignature

        try:
            raw = base64.b64decode(signature, validate=True)
            self._key.verify(raw, text.encode("utf-8"), self._padding, self._hash)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True
