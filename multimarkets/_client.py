"""What the Bridge and Manager clients share: the options they take, their session and their lifetime.

Each client states only what differs (credentials, how requests are signed, its resources); the sync twins'
base is written by hand beside the portal (``_sync/_client.py``), the clients themselves are generated.
"""

from __future__ import annotations

import copy
import os
import re
import ssl as _ssl
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, TypedDict

import aiohttp

from ._network import Network
from ._raw import AsyncRawResponses
from ._scheme import RequestScheme
from ._transport import AsyncSession
from .config import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, RateLimit
from .errors import ValidationError
from .limits import LimitStore

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncClientBase", "ClientOptions", "forget_namespaces"]


class ClientOptions(TypedDict, total=False):
    """The keyword options both clients take besides their own (``**options`` in their signatures). Each is
    described at length on :class:`~multimarkets.AsyncBridgeClient` and in the README."""

    timeout: float
    """Seconds one attempt may take (default 20.0); ``client.with_options()`` makes a copy with another."""
    max_retries: int
    """How many times a failed call may be repeated where that is safe (default 2)."""
    lang: str | None
    """The ``lang`` header sent with every request (default none: the service's language)."""
    max_response_bytes: int
    """The largest answer read (default 8 MiB); a longer one raises ``ResponseFormatError`` ``TOO_LARGE``."""
    limit_store: str | LimitStore | None
    """Where the API key's rate limit window lives (default ``$MULTIMARKETS_LIMIT_STORE``, else in-process)."""
    proxy: str | None
    """``http://[user:password@]host:port`` every request goes through (default none)."""
    trust_env: bool
    """Honour ``HTTP(S)_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (default True)."""
    ssl: _ssl.SSLContext | str | os.PathLike[str] | None
    """An :class:`ssl.SSLContext` or the path of a CA file to trust (default: the system's CAs)."""
    insecure_skip_verify: bool
    """The only way to turn certificate verification off (default False)."""
    connector_factory: Callable[[], aiohttp.BaseConnector] | None
    """Called once, in the client's event loop, for the aiohttp connector (default none)."""
    trace_configs: Sequence[aiohttp.TraceConfig]
    """aiohttp trace configs (request hooks, OpenTelemetry) handed to the session (default none)."""
    strict: bool
    """Raise on every answer that deviates from the docs instead of reading it tolerantly (default False)."""


class AsyncClientBase:
    """The part of :class:`~multimarkets.AsyncBridgeClient` and :class:`~multimarkets.AsyncManagerClient`
    that does not depend on the API: options, session, closing."""

    _session: AsyncSession
    _strict: bool

    def _start(
        self,
        scheme: RequestScheme,
        base_url: str,
        *,
        rate_limit: RateLimit | None,
        explicit_limit: bool,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        lang: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        limit_store: str | LimitStore | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        ssl: _ssl.SSLContext | str | os.PathLike[str] | None = None,
        insecure_skip_verify: bool = False,
        connector_factory: Callable[[], aiohttp.BaseConnector] | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        strict: bool = False,
    ) -> None:
        """Check the options and open (lazily: no I/O here) the session every call of this client goes through."""
        self._strict = strict
        network = Network.of(
            proxy=proxy,
            trust_env=trust_env,
            ssl=ssl,
            insecure_skip_verify=insecure_skip_verify,
            connector_factory=connector_factory,
            trace_configs=trace_configs,
        )
        self._attach(
            AsyncSession(
                scheme,
                base_url,
                timeout=timeout,
                max_retries=max_retries,
                lang=lang,
                rate_limit=rate_limit,
                max_response_bytes=max_response_bytes,
                explicit_limit=explicit_limit,
                limit_store=limit_store,
                network=network,
            )
        )

    def _attach(self, session: AsyncSession) -> None:
        """Hold ``session``; the client's resource namespaces bound to it are made on first use."""
        self._session = session
        forget_namespaces(self)

    def with_options(self, *, timeout: float | None = None, max_retries: int | None = None) -> Self:
        """A copy of this client whose calls take ``timeout`` seconds per attempt and are repeated at most
        ``max_retries`` times (None keeps this client's value); :class:`ConfigurationError` for a bad value.

        The copy is light: it shares this client's connections, rate limiter, signer or token, and clock, and
        does not own them. Closing the copy ends only the copy's calls; closing this client closes the
        connections for both."""
        session = self._session
        twin = copy.copy(self)
        twin._attach(
            session.with_options(
                timeout=session.timeout if timeout is None else timeout,
                max_retries=session.max_retries if max_retries is None else max_retries,
            )
        )
        return twin

    @property
    def with_raw_response(self) -> AsyncRawResponses:
        """This client's methods (``.call`` and ``.<resource>.<method>``), each returning a
        :class:`~multimarkets.RawResponse`: the usual result with the HTTP status, headers, trace and attempt count
        of its call (README "Request ids and raw responses")."""
        return AsyncRawResponses(self)

    async def aclose(self) -> None:
        """Close the client's connections (a copy made by :meth:`with_options`: only its own calls)."""
        await self._session.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def forget_namespaces(client: object) -> None:
    """Drop the resource namespaces (cached properties) ``client`` has made, so that a copy of a client, which
    has a session of its own, makes its own on first use."""
    made = [name for name in vars(client) if isinstance(getattr(type(client), name, None), cached_property)]
    for name in made:
        delattr(client, name)


# An RFC 9110 token: what a header value the service reads as a name can hold without quoting.
_GROUP = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")


def check_raw_call(body: object, group: str | None = None) -> None:
    """Raise :class:`ValidationError` for a ``call()`` whose body is not a JSON object, or whose ``group`` cannot be
    sent as a header (aiohttp would refuse it at send time with a bare ValueError, or the service would never
    match it)."""
    # A dict is told by its exact type first: the ABC check costs several times more, on every raw call.
    if body is not None and type(body) is not dict and not isinstance(body, Mapping):
        raise ValidationError("body", f"must be a mapping (a JSON object) or None, got {type(body).__name__}")
    if group is not None and (not isinstance(group, str) or _GROUP.fullmatch(group) is None):
        raise ValidationError(
            "group", "must be 1 to 64 letters, digits or !#$%&'*+-.^_`|~ (an HTTP token, e.g. 'tradeApi')"
        )
