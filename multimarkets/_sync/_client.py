"""Hand-written, like the portal: the base of the generated sync clients, the twin of
:class:`multimarkets._client.AsyncClientBase`. Each generated client adds its constructor, its resources
(``_wire``) and its methods."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._client import AsyncClientBase
from .._raw import RawResponses
from ._portal import Portal

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ClientBase"]


class ClientBase:
    """A sync client: its async twin, run in the event loop of a :class:`Portal` of its own."""

    _async: AsyncClientBase
    _portal: Portal

    def _wire(self, async_client: Any, portal: Portal) -> None:
        """Hold ``async_client``, ``portal`` and the sync twins of the client's resources (generated)."""
        raise NotImplementedError

    @property
    def with_raw_response(self) -> RawResponses:
        """This client's methods (``.call`` and ``.<resource>.<method>``), each returning a
        :class:`~multimarkets.RawResponse`: the usual result with the HTTP status, headers, trace and attempt count
        of its call (README "Request ids and raw responses")."""
        return RawResponses(self._async.with_raw_response, self._portal)

    def close(self) -> None:
        """Close the client's connections."""
        self._portal.close()

    def __enter__(self) -> Self:
        self._portal.call(self._async.__aenter__)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
