"""How a client reaches the service: proxy, TLS trust, the environment, a connector and tracing hooks.

Checked when the client is built (a bad option raises :class:`ConfigurationError` before anything is sent);
the aiohttp session itself is made on first use, inside the running event loop.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import ssl as _ssl
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp
import attrs
from yarl import URL

from ._connector import Connector
from .envelope import redirect_error
from .errors import ClientClosedError, ConfigurationError

__all__ = ["Connection", "Network", "Opened"]

logger = logging.getLogger("multimarkets")

CAFile = str | os.PathLike[str]


# What aiohttp's default TLS context (made when it was imported, just before this module) trusts: OpenSSL's
# default paths, which already follow SSL_CERT_FILE/SSL_CERT_DIR as they were then.
_DEFAULT_PATHS = _ssl.get_default_verify_paths()

_contexts: dict[tuple[str | None, str | None], _ssl.SSLContext] = {}


async def _trusting(cafile: str | None, capath: str | None) -> _ssl.SSLContext:
    """A verifying TLS context that trusts exactly these CAs, made once per process in a worker thread
    (parsing a system bundle takes about 0.1 s, too long to hold the event loop)."""
    context = _contexts.get((cafile, capath))
    if context is None:
        context = await asyncio.to_thread(_ssl.create_default_context, cafile=cafile, capath=capath)
        _contexts[(cafile, capath)] = context
    return context


def _proxy_parts(proxy: str) -> tuple[URL, dict[str, str]]:
    try:
        url = URL(proxy)
    except (TypeError, ValueError):
        raise ConfigurationError("proxy must be a URL such as http://user:password@proxy.example:3128") from None
    # Never echo the URL: it may hold a password.
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError("proxy must be an http:// or https:// URL with a host, e.g. http://proxy:3128")
    if url.user is None:
        return url, {}
    token = base64.b64encode(f"{url.user}:{url.password or ''}".encode()).decode("ascii")
    return url.with_user(None), {"Proxy-Authorization": f"Basic {token}"}


def _env_ca() -> tuple[str | None, str | None] | None:
    """The CAs ``SSL_CERT_FILE``/``SSL_CERT_DIR`` name, when they differ from what the default context trusts."""
    cafile, capath = os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None
    if cafile is not None and not os.path.isfile(cafile):
        raise ConfigurationError(f"SSL_CERT_FILE names no file: {cafile} (or pass trust_env=False)")
    if capath is not None and not os.path.isdir(capath):
        capath = None  # a missing directory adds nothing; OpenSSL ignores it the same way
    if (cafile or None, capath) == (_DEFAULT_PATHS.cafile, _DEFAULT_PATHS.capath) or not (cafile or capath):
        return None
    return cafile, capath


@attrs.frozen
class Network:
    """The networking options of one client (see :class:`~multimarkets.AsyncBridgeClient`)."""

    proxy: URL | None
    proxy_headers: dict[str, str] = attrs.field(repr=False)
    """``Proxy-Authorization`` when the proxy URL carried credentials."""
    ca: tuple[str | None, str | None] | None
    """CA file and directory to trust instead of the system's; None for the system's."""
    context: _ssl.SSLContext | None
    verify: bool
    trust_env: bool
    connector_factory: Callable[[], aiohttp.BaseConnector] | None
    trace_configs: tuple[aiohttp.TraceConfig, ...]

    @classmethod
    def of(
        cls,
        *,
        proxy: str | None,
        trust_env: bool,
        ssl: _ssl.SSLContext | CAFile | None,
        insecure_skip_verify: bool,
        connector_factory: Callable[[], aiohttp.BaseConnector] | None,
        trace_configs: Sequence[aiohttp.TraceConfig],
    ) -> Network:
        """Check the options; raises :class:`ConfigurationError` naming the one that is wrong."""
        proxy_url, proxy_headers = _proxy_parts(proxy) if proxy is not None else (None, {})
        context: _ssl.SSLContext | None = None
        ca: tuple[str | None, str | None] | None = None
        if isinstance(ssl, _ssl.SSLContext):
            context = ssl
        elif isinstance(ssl, (str, os.PathLike)):
            path = os.fspath(ssl)
            if not os.path.isfile(path):
                raise ConfigurationError(f"ssl= names no CA file: {path}")
            ca = (path, None)
        elif ssl is not None:
            raise ConfigurationError(
                "ssl= takes an ssl.SSLContext or the path of a CA file; "
                "to turn certificate verification off, pass insecure_skip_verify=True"
            )
        elif trust_env:
            ca = _env_ca()
        if insecure_skip_verify:
            if ssl is not None:
                raise ConfigurationError("pass either ssl= or insecure_skip_verify=True, not both")
            logger.warning("TLS certificate verification is off for this client (insecure_skip_verify=True)")
        if connector_factory is not None and not callable(connector_factory):
            raise ConfigurationError("connector_factory must be a callable returning an aiohttp connector")
        return cls(
            proxy=proxy_url,
            proxy_headers=proxy_headers,
            ca=ca,
            context=context,
            verify=not insecure_skip_verify,
            trust_env=trust_env,
            connector_factory=connector_factory,
            trace_configs=tuple(trace_configs),
        )

    async def open(self, timeout: aiohttp.ClientTimeout, base_url: str, headers: Mapping[str, str]) -> Opened:
        """A new aiohttp session (in the running loop) whose requests carry ``headers``, and what every request to
        ``base_url`` passes besides."""
        url = URL(base_url)
        proxy, proxy_headers = self.proxy, self.proxy_headers
        if proxy is None and self.trust_env:
            proxy, proxy_headers = _env_proxy(url)
        options: dict[str, Any] = {}
        added: dict[str, str] = {}
        if proxy is not None:
            options["proxy"] = proxy
            # Plain HTTP goes to the proxy as is, so its credentials ride on the request itself; a tunnel to
            # HTTPS takes them on CONNECT instead, and the service never sees them.
            if url.scheme == "http":
                added.update(proxy_headers)
            elif proxy_headers:
                options["proxy_headers"] = proxy_headers
        if not self.verify:
            options["ssl"] = False
        elif self.context is not None:
            options["ssl"] = self.context
        elif self.ca is not None:
            options["ssl"] = await _trusting(*self.ca)
        if self.connector_factory is None:
            connector: aiohttp.BaseConnector = Connector()
        elif not isinstance(connector := self.connector_factory(), aiohttp.BaseConnector):
            raise ConfigurationError("connector_factory must return an aiohttp.BaseConnector")
        # The environment was read above, once: aiohttp's trust_env would read it (and ~/.netrc) again in a
        # worker thread on every request.
        # The headers every request carries are the session's: aiohttp copies them into each request at once, where
        # a request's own headers are merged one by one in Python.
        session = aiohttp.ClientSession(
            headers=headers,
            timeout=timeout,
            connector=connector,
            trust_env=False,
            trace_configs=list(self.trace_configs) or None,
            middlewares=(_never_follow,),
        )
        return Opened(session, options, added)


async def _never_follow(request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
    """Stop a WebSocket handshake at a redirect answer, before aiohttp makes the next hop.

    ``ws_connect`` cannot be told not to follow redirects, and following one re-sends the handshake's headers
    (the Data Push ``token``) wherever ``Location`` points: aiohttp strips only Authorization and Cookie. The
    ordinary calls skip it (``middlewares=()``): they pass ``allow_redirects=False`` and raise with their own
    trace and bizType.
    """
    response = await handler(request)
    if 300 <= response.status < 400 and request.headers.get("Upgrade", "").lower() == "websocket":
        response.close()
        raise redirect_error(
            response.status,
            response.headers.get("Location"),
            url=str(request.url),
            trace=None,
            biz_type=None,
        )
    return response


@attrs.frozen
class Opened:
    """An open aiohttp session, the keyword arguments of every request, and headers every request adds."""

    session: aiohttp.ClientSession
    options: dict[str, Any]
    headers: dict[str, str] = attrs.field(repr=False)


@attrs.define(eq=False)
class Connection:
    """The aiohttp session a client and its copies (``with_options``) share, opened on first use in the running
    event loop. Identity-hashed: it is also what holds the client's explicit rate limit claim."""

    network: Network
    base_url: str
    headers: Mapping[str, str]
    """What every request (and WebSocket handshake) of the session carries."""
    opened: Opened | None = None
    loop: asyncio.AbstractEventLoop | None = None
    closed: bool = False

    async def open(self, timeout: aiohttp.ClientTimeout) -> Opened:
        """The open session; raises :class:`ClientClosedError` once closed."""
        if self.opened is None and not self.closed:
            opened = await self.network.open(timeout, self.base_url, self.headers)
            if self.opened is None and not self.closed:
                self.opened, self.loop = opened, asyncio.get_running_loop()
            else:
                await opened.session.close()  # a concurrent first call, or aclose(), came first
        if self.closed or self.opened is None:
            raise ClientClosedError("this client is closed")
        if self.loop is not asyncio.get_running_loop():
            raise ConfigurationError(
                "this client was first used in another event loop; create one client per event loop"
            )
        return self.opened

    async def aclose(self) -> None:
        """Close the session; later :meth:`open` calls raise :class:`ClientClosedError`."""
        self.closed = True
        if self.opened is not None:
            opened, self.opened = self.opened, None
            await opened.session.close()


def _env_proxy(url: URL) -> tuple[URL | None, dict[str, str]]:
    """The proxy ``HTTP_PROXY``/``HTTPS_PROXY`` name for ``url`` unless ``NO_PROXY`` exempts its host."""
    found = urllib.request.getproxies().get(url.scheme)
    if not found or url.host is None or urllib.request.proxy_bypass(url.host):
        return None, {}
    try:
        return _proxy_parts(found)
    except ConfigurationError as exc:
        names = [name for name in (f"{url.scheme}_proxy", f"{url.scheme.upper()}_PROXY") if os.environ.get(name)]
        raise ConfigurationError(f"{names[0]} in the environment: {exc} (or pass trust_env=False)") from None
