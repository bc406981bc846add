"""``AsyncBridgeClient``: the entry point of the SDK (the sync ``BridgeClient`` is generated from it)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ._client import AsyncClientBase, ClientOptions, check_raw_call
from ._scheme import BridgeScheme
from .config import PRODUCTION_URL, Credentials, RateLimit, masked
from .errors import ConfigurationError
from .signing import RsaSha1Signer, Signer

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .resources.accounts import AsyncAccounts
    from .resources.catalog import AsyncCatalog
    from .resources.customers import AsyncCustomers
    from .resources.trading import AsyncTrading
    from .resources.webhooks import AsyncWebhooks

__all__ = ["AsyncBridgeClient"]

DEFAULT_RATE_LIMIT = RateLimit(100, 60.0)


class AsyncBridgeClient(AsyncClientBase):
    """Client of the Bridge API. Creating it does no I/O; use it as a context manager or close it when done.

    ``AsyncBridgeClient`` is the asyncio client; ``BridgeClient`` (generated from it) has the same methods as
    plain functions, running the async core in a background event loop of its own.

    Clients with the same ``base_url`` and API key share one sliding window and ban breaker: per process by
    default, or across processes and hosts through ``limit_store`` (a URL, ``"sqlite:///PATH"`` or
    ``"redis://HOST:PORT/DB"``, or a :class:`~multimarkets.limits.LimitStore`; default:
    ``$MULTIMARKETS_LIMIT_STORE``, else in-process). Each client waits for room under its own ``rate_limit``;
    ``rate_limit=None`` never waits, but its requests still count in the key's window. Two clients alive at once
    with different explicit limits for one key raise :class:`ConfigurationError`.

    ``max_response_bytes`` caps how much of an answer is read (default 8 MiB); a longer one raises
    :class:`ResponseFormatError` with code ``TOO_LARGE``, so memory stays bounded whatever a server sends.

    Networking (README "Networking"): ``proxy`` is an ``http://[user:password@]host:port`` URL every request
    goes through. ``trust_env`` (default True, as in requests and httpx, because a fixed egress proxy set in
    the environment is how IP-bound keys usually reach the service) honours ``HTTP(S)_PROXY``/``NO_PROXY``
    when no ``proxy`` is given and trusts the CAs named by ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when no ``ssl`` is
    given. ``ssl`` is an :class:`ssl.SSLContext` or the path of a CA file to trust. Certificates are always
    verified unless ``insecure_skip_verify=True``. ``connector_factory`` is called once, in the client's event
    loop, for the aiohttp connector to use (the client closes it); ``trace_configs`` are handed to the aiohttp
    session (request hooks, OpenTelemetry).

    Answers are read tolerantly: a field that does not fit its documented type degrades (logged once per model
    and field, the wire object kept in ``.raw``); only what a call cannot work without raises
    :class:`ResponseFormatError`. ``strict=True`` raises on every deviation from the docs instead.
    """

    def __init__(
        self,
        credentials: Credentials,
        base_url: str = PRODUCTION_URL,
        *,
        recv_window: int = 5000,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
        signer: Signer | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        if not isinstance(credentials, Credentials):
            raise ConfigurationError("credentials must be a multimarkets.Credentials (see Credentials.from_env())")
        if not 1 <= recv_window <= 60_000:
            raise ConfigurationError("recv_window must be between 1 and 60000 milliseconds")
        scheme = BridgeScheme(credentials, signer or RsaSha1Signer(credentials.secret_key), recv_window)
        explicit = rate_limit is not DEFAULT_RATE_LIMIT
        self._start(scheme, base_url, rate_limit=rate_limit, explicit_limit=explicit, **options)

    # Each namespace is made, and its module and models imported, on first use: a client loads what it calls.
    @cached_property
    def catalog(self) -> AsyncCatalog:
        """Basic and product data: read-only look-ups."""
        from .resources.catalog import AsyncCatalog

        return AsyncCatalog(self._session, strict=self._strict)

    @cached_property
    def customers(self) -> AsyncCustomers:
        """Customer management: register (one or in bulk), look up, list, change."""
        from .resources.customers import AsyncCustomers

        return AsyncCustomers(self._session, strict=self._strict)

    @cached_property
    def accounts(self) -> AsyncAccounts:
        """Customers' exchange accounts: attach, change, list."""
        from .resources.accounts import AsyncAccounts

        return AsyncAccounts(self._session, strict=self._strict)

    @cached_property
    def trading(self) -> AsyncTrading:
        """Trading through an exchange account: balances, deposits, orders, trades."""
        from .resources.trading import AsyncTrading

        return AsyncTrading(self._session, strict=self._strict)

    @cached_property
    def webhooks(self) -> AsyncWebhooks:
        """Webhook subscription (receiving the notifications is :mod:`multimarkets.webhooks`' job)."""
        from .resources.webhooks import AsyncWebhooks

        return AsyncWebhooks(self._session, strict=self._strict)

    def __repr__(self) -> str:
        api_key = masked(self._session.credentials.api_key)
        return f"AsyncBridgeClient(base_url={self._session.base_url!r}, api_key={api_key})"

    async def call(
        self,
        biz_type: str,
        body: Mapping[str, Any] | None = None,
        *,
        group: str | None = None,
        idempotent: bool = False,
    ) -> Any:
        """Call any bizType with a raw JSON body and return the envelope's ``data`` as parsed JSON.

        For endpoints without a typed method. Pass ``group="tradeApi"`` for trading endpoints and
        ``idempotent=True`` for queries, so that attempts with a lost answer are retried.
        """
        check_raw_call(body, group)
        reply = await self._session.request(biz_type, body, group=group, idempotent=idempotent)
        return reply.data
