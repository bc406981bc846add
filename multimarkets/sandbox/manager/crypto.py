"""The Manager API's body signature and body encryption, as the service checks them (reference §3).

Written from the reference, not from the SDK's signer: the sandbox is a second implementation, so a mistake
shared with the SDK would be invisible. The rules followed:

- Signature (§3.3, the reading of the demo's ``verifySign``, which is what the service runs): the string
  ``"timestamp=" + body["timestamp"]`` (Java's ``null`` when absent) followed by ``"&key=value"`` for every body
  key but ``signature``, in ascending key order (Java ``String`` order: UTF-16 code units), **only** for
  non-empty strings and numbers; booleans, null, ``""``, lists and objects are not signed. MD5 of the UTF-8
  bytes, uppercase hex. Numbers are written as Java prints the parsed value (integers as digits, decimals as
  ``BigDecimal.toString`` keeps them, so ``5.50`` stays ``5.50``).
- Decryption (§3.3 steps 5-8, the demo's ``decrypt4LongText``): split ``data`` on ``,``; each piece is Base64
  of RSA PKCS#1 v1.5 under the company public key; decrypt with the company private key, concatenate, then
  URL-decode as Java's ``URLDecoder`` does (``+`` is a space, ``%XX`` are UTF-8 bytes, a stray ``%`` fails).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "CompanyKey",
    "DecryptionError",
    "expected_signature",
    "signature_base",
    "signature_matches",
]

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class DecryptionError(ValueError):
    """An encrypted body that the company private key cannot turn back into JSON text."""


def _java_text(value: Any) -> str | None:
    """How ``verifySign`` writes a value, or None when it leaves the value out: it signs a non-empty ``String``
    and any ``Number`` (JSON's true and false are neither; Python's bool is an int, so it is ruled out)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return None


def _java_value_of(value: Any) -> str:
    """``String.valueOf`` of the body's timestamp, which ``verifySign`` writes whatever it is."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signature_base(body: Mapping[str, Any]) -> str:
    """The string the MD5 is taken of (reference §3.3 step 2; TV-1 ``timestamp=T&a=1&b=2&c=3&timestamp=T``).
    ``body`` must come from JSON parsed with ``parse_float=Decimal`` so that decimals keep their text."""
    timestamp = body.get("timestamp")
    parts = ["timestamp=" + _java_value_of(timestamp)]
    for key in sorted((k for k in body if k != "signature"), key=lambda k: k.encode("utf-16-be")):
        text = _java_text(body[key])
        if text is not None:
            parts.append(f"{key}={text}")
    return "&".join(parts)


def expected_signature(body: Mapping[str, Any]) -> str:
    """The uppercase hex MD5 the body's ``signature`` must equal."""
    return hashlib.md5(signature_base(body).encode(), usedforsecurity=False).hexdigest().upper()


def signature_matches(body: Mapping[str, Any]) -> bool:
    """True when ``body["signature"]`` is a non-empty string equal to :func:`expected_signature`."""
    given = body.get("signature")
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode(), expected_signature(body).encode())


class CompanyKey:
    """The company's RSA key pair: the public half is what a client encrypts with (handed out by the auth
    call as ``publicKey``); the private half decrypts ``{"data": F}`` bodies."""

    __slots__ = ("_key", "private_key", "public_key")

    def __init__(self, private_key: str | None = None) -> None:
        if private_key is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
            der = key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            private_key = base64.b64encode(der).decode()
        loaded = serialization.load_der_private_key(base64.b64decode(private_key), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError("the company key must be an RSA key")
        self._key = loaded
        self.private_key = private_key
        """Base64 PKCS#8 DER, as the demo's ``genKeyPair`` prints it."""
        public_der = loaded.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key = base64.b64encode(public_der).decode()
        """Base64 X.509 SubjectPublicKeyInfo DER."""

    def __repr__(self) -> str:
        return "<CompanyKey>"

    def decrypt(self, data: str) -> str:
        """The JSON text of an encrypted body's ``data``; raises :class:`DecryptionError`."""
        plain = bytearray()
        for piece in data.split(","):
            try:
                block = base64.b64decode(piece, validate=True)
                plain += self._key.decrypt(block, padding.PKCS1v15())
            except (binascii.Error, ValueError):
                raise DecryptionError("a piece of the encrypted body does not decrypt") from None
        try:
            text = plain.decode()
        except UnicodeDecodeError:
            raise DecryptionError("the decrypted body is not UTF-8 text") from None
        if _BAD_ESCAPE.search(text):
            raise DecryptionError("the decrypted body is not URL-encoded")
        try:
            return unquote_plus(text, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise DecryptionError("the URL-encoded body is not UTF-8") from None
