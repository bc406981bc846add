"""The error policy of a bulk run: which errors stop it, which settle a row, which are worth another call, and
what the report says about each."""

from __future__ import annotations

from ..errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CertificateError,
    ClientClosedError,
    ConfigurationError,
    IPBannedError,
    LimitStoreError,
    MultiMarketsError,
    Outcome,
    PermissionDeniedError,
    ProxyAuthenticationError,
    RedirectError,
    ResponseFormatError,
    SignatureError,
    TransportError,
    classify,
)

__all__ = [
    "FATAL_ERRORS",
    "PROBABLY_OURS",
    "code_of",
    "is_final",
    "message_of",
    "misdirected",
    "trace_of",
    "was_lost",
]

FATAL_ERRORS: tuple[type[MultiMarketsError], ...] = (
    IPBannedError,
    SignatureError,
    AuthenticationError,
    PermissionDeniedError,
    ConfigurationError,
    ClientClosedError,
    ProxyAuthenticationError,
    CertificateError,
    RedirectError,
    LimitStoreError,
)
"""Errors that would strike every row alike: they stop the run, leaving the rest ``not_attempted`` (a resume
sends them). A closed client is one: its rows were not refused, the run just cannot go on. So are a redirect, a
refused proxy and a certificate that does not verify: the configuration is wrong, not the row. So is a shared
limit store that stayed unavailable for a whole timeout: no call may be sent without it, and the next row
would wait as long for the same answer."""

_NOTHING_THERE = frozenset({404, 405})
"""HTTP statuses that, without the service's envelope, say the URL leads to no endpoint of the service."""


def misdirected(exc: MultiMarketsError) -> bool:
    """``exc`` is about where the requests go rather than about the row: no connection to the service (or its
    proxy) could be made, so nothing was sent; or the address answered 404 or 405 without the service's envelope
    (the service answers every bizType, an unknown one too, with its envelope: nothing at that path takes the
    API's requests). Before the service ever answered a run, such an error stops it (see
    :class:`~.row.RowMachine`): the base URL, the proxy or the network is wrong, and every row would meet it."""
    if isinstance(exc, APIConnectionError):
        return not exc.maybe_processed and not exc.after_ambiguous
    return isinstance(exc, ResponseFormatError) and exc.http_status in _NOTHING_THERE


PROBABLY_OURS = "probably ours: an earlier attempt for this row may have registered it"
"""The message of an ``already_exists`` row after an attempt of ours whose answer was lost."""

MAYBE_SENT = (
    "maybe sent: the run ended while its call was under way; resuming with this journal sends it again, and if "
    "that call registered it the service answers already exists (reported as probably ours)"
)
"""The message of a row the journal left in flight: the run ended (Ctrl-C, a cancellation, a failed journal)
between noting its call and recording the answer. A resume treats it as an attempt whose answer was lost."""

_MESSAGE_LIMIT = 500


def code_of(exc: MultiMarketsError) -> str:
    """The report's ``code``: the service's error code, else the error's type."""
    if isinstance(exc, APIError) and exc.code:
        return exc.code
    return type(exc).__name__


def message_of(exc: MultiMarketsError) -> str:
    """The report's ``message``, cut to a readable length."""
    message = exc.message if isinstance(exc, APIError) else str(exc)
    return message[:_MESSAGE_LIMIT]


def trace_of(exc: MultiMarketsError) -> str | None:
    """The trace id a row settled by ``exc`` reports: that of the call which met it, if any."""
    return exc.trace if isinstance(exc, (APIError, TransportError)) else None


def is_final(exc: MultiMarketsError) -> bool:
    """Another call would meet the same answer (a business error): the row fails."""
    return classify(exc) is Outcome.FINAL


def was_lost(exc: MultiMarketsError) -> bool:
    """The failed call, or an earlier attempt of it, may have been processed without our seeing the answer."""
    return classify(exc) is Outcome.AMBIGUOUS or (isinstance(exc, APIError) and exc.after_ambiguous)
