"""The exception tree. Every error raised by the SDK is a :class:`MultiMarketsError`.

Service error codes map to classes through :data:`CODE_TO_ERROR`; unknown codes become :class:`APIError`.
Whether a failed attempt is repeated is decided in one place, :func:`classify`, from the error alone.
"""

from __future__ import annotations

import enum
from typing import ClassVar

__all__ = [
    "CODE_TO_ERROR",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "CertificateError",
    "ClientClosedError",
    "ConfigurationError",
    "CustomerExistsError",
    "IPBannedError",
    "InvalidParameterError",
    "LimitStoreError",
    "LoginExpiredError",
    "MultiMarketsError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "ProxyAuthenticationError",
    "RateLimitError",
    "RedirectError",
    "ResponseFormatError",
    "ServerError",
    "SignatureError",
    "TimestampError",
    "TransportError",
    "UnknownBizTypeError",
    "ValidationError",
    "WebhookError",
    "WebhookFormatError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "error_for",
]


class MultiMarketsError(Exception):
    """Base class of every error raised by this SDK.

    ``after_ambiguous`` is true when an earlier attempt of the same call may have been processed although its
    answer was lost (e.g. "already exists" then most likely means: created by that attempt).
    """

    after_ambiguous: bool = False


def _traced(text: str, trace: str | None) -> str:
    """``text`` followed by `` | trace=<id>`` when the trace is known: how every error names its call."""
    return text if trace is None else f"{text} | trace={trace}"


class ConfigurationError(MultiMarketsError):
    """The client was set up wrongly (missing credentials, unreadable key, bad option)."""


class ClientClosedError(MultiMarketsError, RuntimeError):
    """The client was closed: calls made afterwards, and sync calls still waiting when it closed, raise this,
    on the async and the sync client alike."""


class LimitStoreError(MultiMarketsError):
    """The shared limit store (SQLite file, Redis) failed or did not answer in time. Raised by a call only after
    the store stayed unavailable for the client's whole ``timeout``; nothing was sent. Also importable from
    :mod:`multimarkets.limits`, whose stores raise it; it lives here, in the one tree, so that what handles
    errors (the bulk run, which it stops) need not load the stores."""


class ValidationError(MultiMarketsError, ValueError):
    """Input rejected locally before anything was sent; ``field`` names the offending parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class APIError(MultiMarketsError):
    """The service answered, and the answer was an error.

    ``trace`` is the request's trace id (quote it to support); ``code`` the service error code, or
    ``"HTTP <status>"`` when the body carried no envelope.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        trace: str | None = None,
        http_status: int | None = None,
        biz_code: str | None = None,
        biz_type: str | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.trace = trace
        self.http_status = http_status
        self.biz_code = biz_code
        self.biz_type = biz_type
        self.body_excerpt = body_excerpt

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        if self.biz_type is not None:
            parts.append(f"biz_type={self.biz_type}")
        if self.trace is not None:
            parts.append(f"trace={self.trace}")
        return " | ".join(parts)


class SignatureError(APIError):
    """00012001: the signature did not verify (usually the wrong secret key)."""


class TimestampError(APIError):
    """00012002: the request timestamp is outside the server's time window (clock skew)."""


class AuthenticationError(APIError):
    """00012003 / 00012006: the API key does not exist or has expired; or the Manager API's auth call refused
    the app id or secret."""


class LoginExpiredError(AuthenticationError):
    """GGATEWAY_CODE_001 / 005 / 017: the Manager API token is missing or expired. The Manager client fetches a
    new token and repeats the call once before this reaches you."""


class PermissionDeniedError(APIError):
    """00012004 / 00012007 / GGATEWAY_CODE_019: the key may not call this, or not from this IP."""


class RateLimitError(APIError):
    """HTTP 429, 00012005 or GGATEWAY_CODE_018: too many requests for this API key.

    ``retry_after`` is the server's hint in seconds, when it gave one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class IPBannedError(APIError):
    """HTTP 418: the key is banned after ignoring 429s. Never retried; ``banned_until`` is a monotonic time."""

    def __init__(self, message: str, *, banned_until: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.banned_until = banned_until


class ServerError(APIError):
    """HTTP 5xx or G500: a fault on the service's side. The request may or may not have been processed."""


class UnknownBizTypeError(APIError):
    """GGATEWAY_CODE_002: the service does not know this bizType."""


class InvalidParameterError(APIError):
    """GGATEWAY_CODE_015 and similar: the service rejected a parameter."""


class NotFoundError(APIError):
    """The referenced record does not exist."""


class CustomerExistsError(APIError):
    """USCUSTOMER_API_0000101/0000106/0000107: a customer with this phone or e-mail is already registered."""


class ResponseFormatError(APIError):
    """The answer was not a valid envelope: HTML (e.g. a firewall page), empty, truncated or foreign JSON."""


class RedirectError(APIError):
    """The service answered with a redirect (HTTP 3xx). Redirects are never followed: a signed request goes to
    the configured origin or nowhere. ``target_origin`` is where the answer pointed (None without a usable
    ``Location``). Never retried, and it stops a bulk run (every row would meet it)."""

    def __init__(self, message: str, *, target_origin: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.target_origin = target_origin


class OutcomeUnknownError(MultiMarketsError):
    """A call that must not be repeated blindly (a Manager balance update) lost its answer: it may or may not
    have been applied. The message says how to check; ``cause`` is the error of the last attempt."""

    def __init__(self, message: str, *, cause: MultiMarketsError, trace: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.trace = trace

    def __str__(self) -> str:
        return _traced(self.message, self.trace)


class TransportError(MultiMarketsError):
    """The request did not complete at the HTTP level. ``maybe_processed`` is True once the body was sent."""

    def __init__(self, message: str, *, trace: str | None = None, maybe_processed: bool = True) -> None:
        super().__init__(message)
        self.trace = trace
        self.maybe_processed = maybe_processed
        self.attempts = 1
        """How many attempts the call made before it gave up."""

    def __str__(self) -> str:
        return _traced(str(self.args[0]), self.trace)


class APITimeoutError(TransportError):
    """No complete answer within the configured timeout; ``timeout`` is what each attempt had, in seconds."""

    def __init__(self, message: str, *, timeout: float, trace: str | None = None, maybe_processed: bool = True) -> None:
        super().__init__(message, trace=trace, maybe_processed=maybe_processed)
        self.timeout = timeout

    def __str__(self) -> str:
        attempts = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        each = "" if self.attempts == 1 else " each"
        return _traced(f"{self.args[0]}: {attempts} of {self.timeout:g} s{each}", self.trace)


class APIConnectionError(TransportError):
    """The connection could not be made, or broke before the answer arrived."""


class ProxyAuthenticationError(APIConnectionError):
    """The proxy answered HTTP 407 Proxy Authentication Required: it wants credentials, or refused the ones in
    ``proxy=`` or ``HTTP(S)_PROXY``. Nothing reached the service; never retried (each attempt would meet the same
    answer), and it stops a bulk run."""


class CertificateError(APIConnectionError):
    """The server's TLS certificate did not verify (expired, self-signed, made out to another host, or from a CA
    not trusted: see the ``ssl=`` option). Nothing was sent; never retried (each attempt would meet the same
    certificate), and it stops a bulk run and a Data Push stream."""


class WebhookError(MultiMarketsError):
    """A received notification was rejected. ``http_status`` and ``code`` are what the receiver answers with."""

    http_status: ClassVar[int] = 400
    code: ClassVar[str] = "GGATEWAY_CODE_015"

    def __init__(self, message: str, *, trace: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.trace = trace
        """The delivery's ``trace`` header, when it had one."""

    def __str__(self) -> str:
        return _traced(self.message, self.trace)


class WebhookSignatureError(WebhookError):
    """The notification's signature (or a header needed to check it) is missing, wrong or not ours."""

    http_status = 401
    code = "00012001"


class WebhookTimestampError(WebhookError):
    """The notification's ``timestamp`` header is missing, unreadable or outside the allowed tolerance."""

    http_status = 401
    code = "00012002"


class WebhookFormatError(WebhookError):
    """The notification body is not the documented ``{msgType, content}`` shape, or a known event is malformed."""


CODE_TO_ERROR: dict[str, type[APIError]] = {
    "00012001": SignatureError,
    "00012002": TimestampError,
    "00012003": AuthenticationError,
    "00012004": PermissionDeniedError,
    "00012005": RateLimitError,
    "00012006": AuthenticationError,
    "00012007": PermissionDeniedError,
    "G500": ServerError,
    "GGATEWAY_CODE_001": LoginExpiredError,
    "GGATEWAY_CODE_005": LoginExpiredError,
    "GGATEWAY_CODE_017": LoginExpiredError,
    "GGATEWAY_CODE_002": UnknownBizTypeError,
    "GGATEWAY_CODE_014": TimestampError,
    "GGATEWAY_CODE_015": InvalidParameterError,
    "GGATEWAY_CODE_018": RateLimitError,
    "GGATEWAY_CODE_019": PermissionDeniedError,
    "GGATEWAY_CODE_104": InvalidParameterError,
    "USCUSTOMER_API_0000003": NotFoundError,
    "USCUSTOMER_API_0000101": CustomerExistsError,
    "USCUSTOMER_API_0000106": CustomerExistsError,
    "USCUSTOMER_API_0000107": CustomerExistsError,
    "USCUSTOMER_API_0000501": InvalidParameterError,
}
"""Service error code -> exception class. Codes not listed raise plain :class:`APIError`."""


def error_for(code: str) -> type[APIError]:
    """Return the exception class for a service error code."""
    return CODE_TO_ERROR.get(code, APIError)


class Outcome(enum.Enum):
    """What a failed attempt tells about the request."""

    FINAL = "final"
    """Not worth repeating (business error, bad key, ban, ...)."""
    NOT_PROCESSED = "not_processed"
    """The server certainly did not act on it: always safe to repeat."""
    AMBIGUOUS = "ambiguous"
    """The server may have acted on it: repeat only an idempotent or duplicate-guarded call."""


def classify(error: MultiMarketsError) -> Outcome:
    """Sort a failed attempt into :class:`Outcome`."""
    if isinstance(error, (RateLimitError, TimestampError)):
        return Outcome.NOT_PROCESSED
    if isinstance(error, (ProxyAuthenticationError, CertificateError)):
        return Outcome.FINAL  # configuration: every attempt would meet the same answer
    if isinstance(error, TransportError):
        return Outcome.AMBIGUOUS if error.maybe_processed else Outcome.NOT_PROCESSED
    if isinstance(error, ServerError):
        return Outcome.AMBIGUOUS
    if isinstance(error, ResponseFormatError) and error.http_status == 200:
        # A broken body with status 200: the server answered, so it probably acted; the answer is lost.
        return Outcome.AMBIGUOUS
    return Outcome.FINAL
