"""The async session: one request loop that signs, sends, unwraps, retries and keeps to the rate limit.

Every attempt is rebuilt from scratch (fresh timestamp, signature and trace), so a retry is never a replay
of a stale signature. What may be retried is decided by :func:`multimarkets.errors.classify`. What differs
between the Bridge and Manager APIs (URL, credentials, how a request is signed) is the session's
:class:`~multimarkets._scheme.RequestScheme`.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import aiohttp
import anyio
from aiohttp import hdrs

from ._clock import clock_for
from ._network import Connection, Network, Opened
from ._ratelimit import DEFAULT_BAN_SECONDS, KeyLimiter, forget, limiter_for
from ._redact import redact_error
from ._retry import MAX_RETRY_AFTER, backoff
from ._scheme import BridgeScheme, Prepared, RequestScheme
from ._version import __version__
from .config import Credentials, RateLimit, header_value_problem
from .envelope import (
    make_printable,
    parse_retry_after,
    proxy_error,
    read_capped,
    redirect_error,
    too_large_error,
    unwrap,
)
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    CertificateError,
    ClientClosedError,
    ConfigurationError,
    IPBannedError,
    MultiMarketsError,
    Outcome,
    RateLimitError,
    TimestampError,
    TransportError,
    classify,
)
from .limits import LimitStore
from .signing import encode_body

__all__ = ["API_VERSION", "AsyncSession", "Reply", "check_base_url", "replies"]

API_VERSION = "0.0.1"
"""The ``version`` header every documented endpoint takes."""

USER_AGENT = f"multimarkets-python/{__version__}"

logger = logging.getLogger("multimarkets")


class Reply(NamedTuple):
    """A successful answer: the envelope's ``data`` and how it was obtained (the last attempt's HTTP answer). A
    named tuple: a frozen attrs class sets each field through ``object.__setattr__``, thrice the cost, every call."""

    data: Any
    trace: str | None
    attempts: int
    status: int
    headers: Mapping[str, str]


replies: ContextVar[list[Reply] | None] = ContextVar("multimarkets_replies", default=None)
"""When set, every successful :meth:`AsyncSession.request` in this context also appends its reply there (how
``with_raw_response`` learns the HTTP side of a call whatever the method makes of the answer)."""


def check_base_url(base_url: str) -> None:
    """Raise :class:`ConfigurationError` for a base URL that is not ``http(s)://host[:port][/path]`` or that holds
    credentials.

    Neither API reads credentials from the URL (the Bridge API signs each request with the key, the Manager API
    sends its token), and a ``user:password@`` there would be shown wherever the base URL is: reprs, errors, logs,
    the CLI's output, reports and journals. Refusing it is the one way it can leak nowhere. The rest is checked
    here too, as what would otherwise fail later and worse: a bad bracket or port as a bare ``ValueError`` from
    the URL parsers, a missing host as a "connection broke" at the first call, and a ``?query`` or ``#fragment``
    glued before every call's path."""
    if not _lower_case(base_url).startswith(("http://", "https://")):
        shown = "" if "@" in base_url else f", got {base_url!r}"  # what may be a user:password@ is not echoed
        raise ConfigurationError(f"base_url must start with http:// or https://{shown}")
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 -- parses the port: out of range or not a number raises ValueError
    except ValueError:
        shown = "" if "@" in base_url else f", got {base_url!r}"
        raise ConfigurationError(f"base_url is not a valid URL (a bad [IPv6] bracket or port?){shown}") from None
    if "@" in parts.netloc:
        raise ConfigurationError(
            "base_url must not hold credentials (user:password@): the service takes none there, and they would be "
            "shown wherever the base URL is; a proxy's credentials go in proxy="
        )
    if not parts.hostname:
        raise ConfigurationError(f"base_url must name a host, got {base_url!r}")
    if parts.query or parts.fragment or base_url.endswith(("?", "#")):
        raise ConfigurationError(
            f"base_url must not hold a ?query or #fragment (calls add their path after it), got {base_url!r}"
        )


def _check_call_options(timeout: float, max_retries: int) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < math.inf:
        raise ConfigurationError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be a whole number, 0 or more, got {max_retries!r}")


class AsyncSession:
    """Owns the aiohttp session of one client and runs the request loop. Not for direct use."""

    def __init__(
        self,
        scheme: RequestScheme,
        base_url: str,
        *,
        timeout: float,
        max_retries: int,
        lang: str | None,
        rate_limit: RateLimit | None,
        max_response_bytes: int,
        explicit_limit: bool,
        limit_store: str | LimitStore | None,
        network: Network,
    ) -> None:
        base_url = _lower_case(base_url)
        check_base_url(base_url)
        _check_call_options(timeout, max_retries)
        if max_response_bytes < 1:
            raise ConfigurationError("max_response_bytes must be positive")
        self.max_response_bytes = max_response_bytes
        self._scheme = scheme
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._seconds = float(timeout)
        self._max_retries = max_retries
        self._limit = (rate_limit, explicit_limit, limit_store)
        self._limiters: dict[str, KeyLimiter] = {}
        self._static_headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **scheme.headers,
            "version": API_VERSION,
        }
        if lang is not None:
            # Checked here like the API key: aiohttp would refuse a CR/LF with a bare ValueError at the first call.
            problem = header_value_problem(lang)
            if problem is not None:
                raise ConfigurationError(f"lang {problem}")
            self._static_headers["lang"] = lang
        self._connection = Connection(network, self._base_url, self._static_headers)
        self._owns_connection = True
        self._closed = False
        # The one limiter of an API that counts all endpoints together; a conflicting explicit limit fails here,
        # not on a first call.
        self._sole_limiter = None if scheme.per_endpoint else self.limiter_of("")
        self._clock = clock_for(self._base_url)

    def with_options(self, *, timeout: float, max_retries: int) -> AsyncSession:
        """A view of this session whose calls take ``timeout`` seconds per attempt and repeat at most
        ``max_retries`` times; it shares the connections, limiters, clock and scheme. Closing the view ends only
        its own calls; closing this session closes what they share."""
        _check_call_options(timeout, max_retries)
        view = copy.copy(self)
        view._timeout, view._seconds = aiohttp.ClientTimeout(total=timeout), float(timeout)
        view._max_retries = max_retries
        view._owns_connection, view._closed = False, False
        return view

    @property
    def base_url(self) -> str:
        """The service base URL; calls go to ``{base_url}/global/{bizType}``."""
        return self._base_url

    @property
    def credentials(self) -> Credentials:
        """The Bridge credentials this session signs with."""
        if not isinstance(self._scheme, BridgeScheme):
            raise ConfigurationError("this session is not a Bridge API session")
        return self._scheme.credentials

    @property
    def scheme(self) -> RequestScheme:
        """What this session's API asks of the request loop (URL, credentials, encoding)."""
        return self._scheme

    @property
    def limiter(self) -> KeyLimiter:
        """The process-wide rate limiter and ban breaker of this session's API key."""
        return self.limiter_of("")

    def limiter_of(self, biz_type: str) -> KeyLimiter:
        """The limiter admitting calls to ``biz_type``: one per endpoint where the service counts each endpoint
        on its own (Manager API), else the session's one."""
        endpoint = biz_type if self._scheme.per_endpoint else ""
        limiter = self._limiters.get(endpoint)
        if limiter is None:
            rate_limit, explicit, store = self._limit
            key = f"{self._scheme.limit_key}\n{endpoint}" if endpoint else self._scheme.limit_key
            limiter = limiter_for(self._connection, self._base_url, key, rate_limit, explicit=explicit, store=store)
            self._limiters[endpoint] = limiter
        return limiter

    @property
    def max_retries(self) -> int:
        """How many times one call may be repeated."""
        return self._max_retries

    @property
    def timeout(self) -> float:
        """Seconds one attempt may take."""
        return self._seconds

    async def _open(self) -> Opened:
        if self._closed:
            raise ClientClosedError("this client is closed")
        return await self._connection.open(self._timeout)

    async def websocket(
        self, path: str, headers: Mapping[str, str], **options: Any
    ) -> aiohttp.ClientWebSocketResponse[Any]:
        """Open a WebSocket to ``{base_url}{path}`` through this session's networking options (proxy, TLS trust,
        tracing), with the headers every request of the session carries; ``options`` go to aiohttp's
        ``ws_connect``."""
        opened = await self._open()
        sent = {**opened.headers, **headers}
        socket: aiohttp.ClientWebSocketResponse[Any] = await opened.session.ws_connect(
            self._base_url + path, headers=sent, **opened.options, **options
        )
        return socket

    async def aclose(self) -> None:
        """Close the HTTP connections (a view: only its own calls). Calls made afterwards raise
        :class:`ClientClosedError`."""
        self._closed = True
        if self._owns_connection:
            forget(self._connection)
            for limiter in self._limiters.values():
                await limiter.aclose()
            await self._connection.aclose()

    async def request(
        self,
        biz_type: str,
        body: Mapping[str, Any] | None = None,
        *,
        group: str | None = None,
        idempotent: bool = True,
        before_retry: Callable[[], Awaitable[None]] | None = None,
    ) -> Reply:
        """POST ``body`` to ``bizType`` and return the unwrapped answer, retrying what is safe to retry.

        ``idempotent`` says whether an attempt whose fate is unknown (timeout, reset after sending, 5xx) may
        be repeated: true for queries and for calls with a natural duplicate guard. ``before_retry`` is awaited
        before every attempt after the first (the bulk journal notes each request before it is sent).
        """
        if not biz_type or "/" in biz_type or biz_type != biz_type.strip():
            raise ConfigurationError(f"invalid bizType {biz_type!r}")
        payload = dict(body or {})
        encoded = encode_body(payload)
        url = self._scheme.url(self._base_url, biz_type)
        retries = 0
        clock_retry_used = False
        renewed = False
        ambiguous = False
        attempt = 0
        while True:
            attempt += 1
            if attempt > 1 and before_retry is not None:
                await before_retry()
            prepared = await self._scheme.prepare(biz_type, payload, encoded)
            try:
                reply = await self._attempt(url, biz_type, prepared, group, attempt)
            except MultiMarketsError as exc:
                redact_error(exc, self._scheme.secrets(prepared, payload))  # a server may echo them
                if isinstance(exc, APIError):
                    make_printable(exc)  # the server's text, after redaction (see make_printable)
                outcome = classify(exc)
                exc.after_ambiguous = ambiguous
                if isinstance(exc, TransportError):
                    exc.attempts = attempt
                if isinstance(exc, TimestampError) and not clock_retry_used:
                    clock_retry_used = True  # the offset was refreshed from this answer's Date header
                    continue
                if not renewed and await self._scheme.renew(exc, prepared):
                    renewed = True  # refused credentials (an expired token) were replaced
                    continue
                if outcome is Outcome.FINAL or retries >= self._max_retries:
                    raise
                if outcome is Outcome.AMBIGUOUS and not idempotent:
                    raise
                retry_after = exc.retry_after if isinstance(exc, RateLimitError) else None
                if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                    raise  # the service asks for a longer pause than a call waits: its caller decides
                ambiguous = ambiguous or outcome is Outcome.AMBIGUOUS
                retries += 1
                delay = backoff(retries, retry_after)
                logger.info("retrying %s in %.2fs after %s", biz_type, delay, type(exc).__name__)
                await anyio.sleep(delay)
                continue
            seen = replies.get()
            if seen is not None:
                seen.append(reply)
            return reply

    async def _attempt(
        self,
        url: str,
        biz_type: str,
        prepared: Prepared,
        group: str | None,
        attempt: int,
    ) -> Reply:
        connection = self._connection
        opened = connection.opened
        if opened is None or self._closed or connection.loop is not asyncio.get_running_loop():
            opened = await self._open()  # first use, closed or another loop: it opens or raises
        limiter = self._sole_limiter or self.limiter_of(biz_type)
        # The usual admission and release (the in-process store) are done without a coroutine each.
        slot = limiter.admit(self._seconds) or await limiter.acquire(self._seconds)
        if self._closed or self._connection.closed:  # closed while this call waited for its slot
            await limiter.release(slot)
            raise ClientClosedError("this client is closed")
        trace = prepared.trace
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.monotonic() if debug else 0.0
        outcome: object = "-"
        failure: TransportError | None = None
        try:
            timestamp = self._clock.now_ms()
            headers = prepared.headers = {**opened.headers}  # the session adds the static ones
            headers["timestamp"] = str(timestamp)
            headers["trace"] = trace
            encoded = prepared.encode(headers, timestamp)
            if group is not None:
                headers["group"] = group
            # Never follow a redirect: it would re-send the signed request to wherever Location points. The
            # session's middleware guards only WebSocket handshakes (which cannot be told so): skipped here, it
            # would cost every call a wrapper for nothing.
            async with opened.session.post(
                url,
                data=encoded,
                headers=headers,
                allow_redirects=False,
                timeout=self._timeout,
                middlewares=(),
                **opened.options,
            ) as response:
                http_status = outcome = response.status
                if 300 <= http_status < 400:
                    raise redirect_error(
                        http_status, response.headers.get(hdrs.LOCATION), url=url, trace=trace, biz_type=biz_type
                    )
                content = response.content
                if content.is_eof() and content.total_bytes <= self.max_response_bytes:
                    # The whole body came with the headers (a usual answer) and fits: taken as buffered, without a
                    # coroutine nor reading Content-Length (parsed from the header on every read of the property).
                    raw, complete = content.read_nowait(), True
                else:
                    raw, complete = await read_capped(response, self.max_response_bytes)
                if not complete:
                    response.close()  # drop the connection rather than drain the rest
                    raise too_large_error(
                        self.max_response_bytes, start=raw, http_status=http_status, trace=trace, biz_type=biz_type
                    )
                response_headers = response.headers
                # aiohttp's names (case-insensitive strings that carry their folded form): a plain str key is folded
                # anew on every lookup.
                date = response_headers.get(hdrs.DATE)
                retry_header = response_headers.get(hdrs.RETRY_AFTER)
                retry_after = None if retry_header is None else parse_retry_after(retry_header)
        except asyncio.TimeoutError:
            outcome = "timeout"
            failure = APITimeoutError(
                f"no answer to {biz_type}", timeout=self._seconds, trace=trace, maybe_processed=True
            )
        except aiohttp.ClientConnectorCertificateError as exc:
            outcome = "certificate-error"
            failure = CertificateError(
                f"the certificate of {self._base_url} could not be verified: {exc.certificate_error}",
                trace=trace,
                maybe_processed=False,
            )
        except aiohttp.ClientProxyConnectionError as exc:
            outcome = "proxy-error"
            failure = APIConnectionError(
                f"cannot connect to the proxy: {exc.os_error}", trace=trace, maybe_processed=False
            )
        except aiohttp.ClientConnectorError as exc:
            outcome = "connect-error"
            failure = APIConnectionError(
                f"cannot connect to {self._base_url}: {exc.os_error}", trace=trace, maybe_processed=False
            )
        except aiohttp.ClientHttpProxyError as exc:
            outcome = "proxy-refused"
            failure = proxy_error(exc.status, exc.message, target=self._base_url, trace=trace)
        except aiohttp.ClientResponseError as exc:
            outcome = "bad-http"
            failure = APIConnectionError(
                f"the answer to {biz_type} is not valid HTTP: {exc.message}", trace=trace, maybe_processed=True
            )
        except (aiohttp.ClientError, OSError) as exc:
            outcome = "disconnected"
            failure = APIConnectionError(
                f"connection broke during {biz_type}: {type(exc).__name__}: {exc}", trace=trace, maybe_processed=True
            )
        finally:
            if not limiter.release_now(slot):
                await limiter.release(slot)
            if debug:
                logger.debug(
                    "bizType=%s trace=%s attempt=%d status=%s duration_ms=%.1f",
                    biz_type,
                    trace,
                    attempt,
                    outcome,
                    (time.monotonic() - started) * 1000,
                )
        if failure is not None:
            # Raised here, outside the handlers, so aiohttp's exception is neither __cause__ nor __context__:
            # its repr shows the request, signature header included.
            raise failure
        try:
            data, reply_trace = unwrap(
                raw, http_status=http_status, request_trace=trace, biz_type=biz_type, retry_after=retry_after
            )
        except TimestampError:
            self._clock.observe(date, rejected=True)
            raise
        except RateLimitError as exc:
            window = limiter.limit.window if limiter.limit is not None else None
            hint = exc.retry_after
            await limiter.pause(min(hint, MAX_RETRY_AFTER) if hint else window or backoff(attempt), exc)
            raise
        except IPBannedError as exc:
            exc.banned_until = await limiter.ban(retry_after or DEFAULT_BAN_SECONDS)
            raise
        # Only a valid envelope teaches the clock: a firewall page or a broken answer may carry any Date.
        self._clock.observe(date)
        # tuple.__new__, as the named tuple's own _make does: its __new__ is a Python function, a frame per call.
        return tuple.__new__(Reply, (data, reply_trace, attempt, http_status, response_headers))


def _lower_case(url: str) -> str:
    """``url`` with its scheme and host in lower case: both are case-insensitive (RFC 3986 §3.1, §3.2.2), and the
    URL is also a key (the shared rate-limit window, a bulk journal's origin) that ``HTTPS://`` or ``LOCALHOST``
    must not split. The path is kept as given: it is case-sensitive."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    return scheme.lower() + sep + rest[:end].lower() + rest[end:]
