"""``AsyncManagerClient``: the Manager API client (the sync ``ManagerClient`` is generated from it)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._client import AsyncClientBase, ClientOptions, check_raw_call
from ..config import RateLimit, masked
from ..errors import ConfigurationError
from .config import MANAGER_PRODUCTION_URL, ManagerCredentials
from .scheme import ManagerScheme

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .resources.accounts import AsyncManagerAccounts
    from .resources.catalog import AsyncManagerCatalog
    from .resources.customers import AsyncManagerCustomers
    from .resources.data_push import AsyncManagerDataPush

__all__ = ["AsyncManagerClient"]

DEFAULT_MANAGER_RATE_LIMIT = RateLimit(300, 60.0)
"""The documented limit: 300 requests per minute per endpoint (reference manager-api §4.2)."""


class AsyncManagerClient(AsyncClientBase):
    """Client of the Manager API (white-label back office). Creating it does no I/O.

    The first call fetches a token with the credentials' ``app_id``/``app_secret``; it is cached and, when the
    service says the login expired, replaced once (one auth call however many calls wait for it). Request
    bodies are MD5-signed and, with ``encrypt=True`` (default), encrypted with the company public key when one
    is known (given in the credentials, or answered by the auth call); ``encrypt=False`` sends them plain.
    ``rate_limit`` applies to each endpoint on its own (default 300 per minute, the documented limit), shared
    by every client of the same ``app_id`` through ``limit_store`` like the Bridge client's.

    Retries, errors, tracing, logging, redirect and size safety and the networking options (``proxy``,
    ``trust_env``, ``ssl``, ``insecure_skip_verify``, ``connector_factory``, ``trace_configs``) are those of
    :class:`~multimarkets.AsyncBridgeClient`; ``strict=True`` raises on every answer that deviates from the docs.
    """

    def __init__(
        self,
        credentials: ManagerCredentials,
        base_url: str = MANAGER_PRODUCTION_URL,
        *,
        encrypt: bool = True,
        rate_limit: RateLimit | None = DEFAULT_MANAGER_RATE_LIMIT,
        **options: Unpack[ClientOptions],
    ) -> None:
        if not isinstance(credentials, ManagerCredentials):
            raise ConfigurationError("credentials must be ManagerCredentials (see ManagerCredentials.from_env())")
        self._scheme = ManagerScheme(credentials, encrypt=encrypt, strict=options.get("strict", False))
        explicit = rate_limit is not DEFAULT_MANAGER_RATE_LIMIT
        self._start(self._scheme, base_url, rate_limit=rate_limit, explicit_limit=explicit, **options)
        self._scheme.session = self._session  # the token is fetched through the client's own session

    # Each namespace is made, and its module and models imported, on first use: a client loads what it calls.
    @cached_property
    def catalog(self) -> AsyncManagerCatalog:
        """Basic and product data: read-only look-ups (the same bizTypes and shapes as the Bridge API's)."""
        from .resources.catalog import AsyncManagerCatalog

        return AsyncManagerCatalog(self._session, strict=self._strict)

    @cached_property
    def customers(self) -> AsyncManagerCustomers:
        """The white label's customers."""
        from .resources.customers import AsyncManagerCustomers

        return AsyncManagerCustomers(self._session, strict=self._strict)

    @cached_property
    def accounts(self) -> AsyncManagerAccounts:
        """Trading accounts and balances."""
        from .resources.accounts import AsyncManagerAccounts

        return AsyncManagerAccounts(self._session, strict=self._strict)

    @cached_property
    def data_push(self) -> AsyncManagerDataPush:
        """Data Push: events pushed over a WebSocket, typed, each delivered once."""
        from .resources.data_push import AsyncManagerDataPush

        return AsyncManagerDataPush(self._session, strict=self._strict)

    def __repr__(self) -> str:
        return (
            f"AsyncManagerClient(base_url={self._session.base_url!r}, app_id={masked(self._scheme.credentials.app_id)})"
        )

    async def call(self, biz_type: str, body: Mapping[str, Any] | None = None, *, idempotent: bool = False) -> Any:
        """Call any bizType with a raw JSON body (signed, and encrypted like every call) and return the answer's
        ``data``. Pass ``idempotent=True`` for queries, so that attempts with a lost answer are retried."""
        check_raw_call(body)
        reply = await self._session.request(biz_type, body, idempotent=idempotent)
        return reply.data
