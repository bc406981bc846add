"""What every resource namespace shares: the client's session and the one request helper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar, get_origin

from .._convert import to_wire
from .._read import read
from .._transport import AsyncSession, Reply

__all__ = ["AsyncResource"]

T = TypeVar("T")


class AsyncResource:
    """Base of the ``client.<resource>`` namespaces; holds the client's session."""

    __slots__ = ("_session", "_strict")

    _group: ClassVar[str | None] = None
    """The ``group`` header this namespace's endpoints require, if any."""

    def __init__(self, session: AsyncSession, *, strict: bool = False) -> None:
        self._session = session
        self._strict = strict

    def _send(
        self,
        biz_type: str,
        request: Any = None,
        *,
        before_retry: Callable[[], Awaitable[None]] | None = None,
    ) -> Awaitable[Reply]:
        """POST a request model's wire body to ``biz_type``; awaiting the result returns the unwrapped answer.

        Every typed endpoint is safe to repeat after an attempt whose answer was lost (a query, a call that sets
        an end state, or one guarded by a natural key); each method says which.
        """
        # Not a coroutine of its own: the caller awaits the session's, one frame less to pass at every suspension.
        body = None if request is None else to_wire(request)
        return self._session.request(biz_type, body, group=self._group, idempotent=True, before_retry=before_retry)

    async def _post(self, biz_type: str, request: Any, cast_to: type[T]) -> T:
        """:meth:`_send`, then the answer's ``data`` read as ``cast_to`` (see :mod:`multimarkets._read`); an
        absent ``data`` reads as empty."""
        reply = await self._send(biz_type, request)
        return self._read(reply, cast_to, biz_type)

    def _read(self, reply: Reply, cast_to: type[T], biz_type: str) -> T:
        data = reply.data
        if data is None:
            data = [] if get_origin(cast_to) is list else {}
        return read(data, cast_to, strict=self._strict, biz_type=biz_type, trace=reply.trace)
