"""How one API addresses, authenticates and encodes a request: the one seam between the shared request loop
(:mod:`multimarkets._transport`) and what differs per API.

The Bridge API signs headers (:class:`BridgeScheme`); the Manager API sends a token header and a signed,
optionally encrypted body (:class:`multimarkets.manager.scheme.ManagerScheme`). Everything else (retries,
envelope, errors, trace, logging, redirect and size safety, networking, the limiter) is the loop's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from ._redact import secret_values
from .config import Credentials
from .errors import MultiMarketsError
from .signing import RsaSha1Signer, Signer, canonical_of
from .trace import new_trace

__all__ = ["BridgeScheme", "Prepared", "RequestScheme"]


@attrs.define
class Prepared:
    """One attempt, ready but for its timestamp: ``encode(headers, timestamp)`` adds the attempt's headers and
    returns its body (called once the rate limiter admitted it, so the timestamp is fresh). Not frozen: the
    request loop notes on it the headers the attempt went out with."""

    trace: str
    encode: Callable[[dict[str, str], int], bytes]
    grant: object = None
    """What the attempt was authorised with (the Manager token), handed back to :meth:`RequestScheme.renew`."""
    headers: dict[str, str] | None = attrs.field(default=None, repr=False)
    """The headers the attempt added to those of the session (None until it is sent), for
    :meth:`RequestScheme.secrets`."""


class RequestScheme(Protocol):
    """What the request loop asks of an API."""

    @property
    def limit_key(self) -> str:
        """Who the service counts requests for (API key, app id); never a secret."""

    @property
    def per_endpoint(self) -> bool:
        """True when the service limits each endpoint separately."""

    @property
    def headers(self) -> Mapping[str, str]:
        """Headers every request of this client carries."""

    def url(self, base_url: str, biz_type: str) -> str:
        """Where ``biz_type`` is posted."""

    async def prepare(self, biz_type: str, payload: Mapping[str, Any], encoded: bytes) -> Prepared:
        """Get an attempt ready (may fetch credentials first; runs before the rate limiter is asked)."""

    async def renew(self, error: MultiMarketsError, attempt: Prepared) -> bool:
        """True when ``error`` refused ``attempt``'s credentials and they were renewed: the loop repeats the
        call at once, once per call."""

    def secrets(self, attempt: Prepared, payload: Mapping[str, Any]) -> list[str]:
        """The secret values ``attempt`` of ``payload`` sent (its headers and body), cleared from the texts of its
        error; only a failed attempt asks."""


class BridgeScheme:
    """Bridge API: ``{base_url}/global/{bizType}``, ``apiKey``/``companyId``/``recvWindow`` headers and a
    ``signature`` header over the body and timestamp."""

    __slots__ = ("credentials", "headers", "signer")

    per_endpoint = False

    def __init__(self, credentials: Credentials, signer: Signer, recv_window: int) -> None:
        self.credentials = credentials
        self.signer = signer
        self.headers: Mapping[str, str] = {
            "apiKey": credentials.api_key,
            "companyId": credentials.company_id,
            "recvWindow": str(recv_window),
        }

    @property
    def limit_key(self) -> str:
        return self.credentials.api_key

    def url(self, base_url: str, biz_type: str) -> str:
        return f"{base_url}/global/{biz_type}"

    async def prepare(self, biz_type: str, payload: Mapping[str, Any], encoded: bytes) -> Prepared:
        # Our own signer signs the canonical text derived from the body as sent: no second encoding.
        signer = self.signer
        canonical = canonical_of(encoded) if type(signer) is RsaSha1Signer else None

        def encode(headers: dict[str, str], timestamp: int) -> bytes:
            if canonical is not None and isinstance(signer, RsaSha1Signer):
                headers["signature"] = signer.sign_text(canonical + str(timestamp))
            else:
                headers["signature"] = signer.sign(payload, timestamp)
            return encoded

        return Prepared(new_trace(), encode)

    async def renew(self, error: MultiMarketsError, attempt: Prepared) -> bool:
        return False

    def secrets(self, attempt: Prepared, payload: Mapping[str, Any]) -> list[str]:
        # The apiKey header is the session's, not the attempt's; the signature header is the attempt's.
        return secret_values({**self.headers, **(attempt.headers or {})}, payload)
