"""Hand-written, like the portal: the base of the generated sync clients, the twin of
:class:`multimarkets._client.AsyncClientBase`. Each generated client adds its constructor, its resources
and its methods."""

from __future__ import annotations

import contextlib
import copy
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._client import AsyncClientBase, forget_namespaces
from .._raw import RawResponses
from ..errors import ClientClosedError
from ._portal import Portal

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ClientBase"]


class ClientBase:
    """A sync client: its async twin, run in the event loop of a :class:`Portal` of its own."""

    _async: AsyncClientBase
    _portal: Portal
    _is_copy = False

    def _wire(self, async_client: Any, portal: Portal) -> None:
        """Hold ``async_client`` and ``portal``; the sync twins of the client's resource namespaces (generated)
        are made on first use."""
        self._async = async_client
        self._portal = portal
        portal.target(async_client._session.base_url)
        forget_namespaces(self)

    def with_options(self, *, timeout: float | None = None, max_retries: int | None = None) -> Self:
        twin = copy.copy(self)
        twin._wire(self._async.with_options(timeout=timeout, max_retries=max_retries), self._portal)
        twin._is_copy = True  # the portal, its event loop and the connections stay this client's
        return twin

    with_options.__doc__ = AsyncClientBase.with_options.__doc__  # one text for both twins

    @property
    def with_raw_response(self) -> RawResponses:
        """This client's methods (``.call`` and ``.<resource>.<method>``), each returning a
        :class:`~multimarkets.RawResponse`: the usual result with the HTTP status, headers, trace and attempt count
        of its call (README "Request ids and raw responses")."""
        return RawResponses(self._async.with_raw_response, self._portal)

    def close(self) -> None:
        """Close the client's connections (a copy made by :meth:`with_options`: only its own calls)."""
        if not self._is_copy:
            self._portal.close()
            return
        with contextlib.suppress(ClientClosedError):  # this client closed first: the copy is closed already
            self._portal.call_aside(self._async.aclose)

    def __enter__(self) -> Self:
        self._portal.call_aside(self._async.__aenter__)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
