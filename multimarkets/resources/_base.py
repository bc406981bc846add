"""What every resource namespace shares: the client's session and the one request helper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar, get_origin

from .._convert import structure, to_wire
from .._transport import AsyncSession, Reply

__all__ = ["AsyncResource"]

T = TypeVar("T")


class AsyncResource:
    """Base of the ``client.<resource>`` namespaces; holds the client's session."""

    __slots__ = ("_session",)

    _group: ClassVar[str | None] = None
    """The ``group`` header this namespace's endpoints require, if any."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _send(
        self,
        biz_type: str,
        request: Any = None,
        *,
        before_retry: Callable[[], Awaitable[None]] | None = None,
    ) -> Reply:
        """POST a request model's wire body to ``biz_type`` and return the unwrapped answer.

        Every typed endpoint is safe to repeat after an attempt whose answer was lost (a query, a call that sets
        an end state, or one guarded by a natural key); each method says which.
        """
        body = None if request is None else to_wire(request)
        return await self._session.request(
            biz_type, body, group=self._group, idempotent=True, before_retry=before_retry
        )

    async def _post(self, biz_type: str, request: Any, cast_to: type[T]) -> T:
        """:meth:`_send`, then the answer's ``data`` as ``cast_to``; an absent ``data`` reads as empty."""
        reply = await self._send(biz_type, request)
        data = reply.data
        if data is None:
            data = [] if get_origin(cast_to) is list else {}
        return structure(data, cast_to, biz_type=biz_type, trace=reply.trace)
