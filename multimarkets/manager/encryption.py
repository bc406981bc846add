"""Optional body encryption with the company's RSA public key (reference manager-api §3.3 steps 4-8).

The signed body's compact JSON is URL-encoded the way Java's ``URLEncoder`` does it (the server URL-decodes
after decrypting), cut into 100-character pieces, each encrypted with RSA PKCS#1 v1.5 and Base64-encoded, and
the pieces are joined with commas: the request body is then ``{"data": "<pieces>"}``. The official demo's
117-character variant without URL-encoding loses ``+`` and fails on non-ASCII text, so it is not used.
"""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

from cryptography.hazmat.primitives.asymmetric import padding

from ..errors import ConfigurationError
from ..signing import load_public_key

__all__ = ["PIECE_LENGTH", "BodyEncryptor", "java_url_encode", "pieces"]

PIECE_LENGTH = 100
"""Characters of URL-encoded text per RSA block (ASCII, so bytes too; a 1024-bit key takes up to 117)."""


def java_url_encode(text: str) -> str:
    """``URLEncoder.encode(text, "UTF-8")``: unreserved ``A-Za-z0-9.-*_``, space as ``+``, the rest ``%XX``."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def pieces(text: str) -> list[str]:
    """The URL-encoded ``text`` in consecutive :data:`PIECE_LENGTH`-character pieces."""
    encoded = java_url_encode(text)
    return [encoded[i : i + PIECE_LENGTH] for i in range(0, len(encoded), PIECE_LENGTH)]


class BodyEncryptor:
    """Encrypts request JSON with a company public key (base64 X.509 DER, as the auth call returns it, or PEM)."""

    __slots__ = ("_key",)

    def __init__(self, public_key: str | bytes) -> None:
        key = load_public_key(public_key)
        # PKCS#1 v1.5 fits at most the key's length less 11 bytes in one block: a short key could encrypt nothing.
        if (key.key_size + 7) // 8 - 11 < PIECE_LENGTH:
            raise ConfigurationError(
                f"the company public key is a {key.key_size}-bit RSA key, too short to encrypt "
                f"{PIECE_LENGTH}-character pieces (the service's keys are 1024-bit)"
            )
        self._key = key

    def __repr__(self) -> str:
        return f"BodyEncryptor({self._key.key_size}-bit RSA public key)"

    def encrypt(self, json_text: str) -> str:
        """The ``data`` value (string F of the docs) for the JSON text of a signed body."""
        blocks = (self._key.encrypt(piece.encode("ascii"), padding.PKCS1v15()) for piece in pieces(json_text))
        return ",".join(base64.b64encode(block).decode("ascii") for block in blocks)
