"""``client.with_raw_response``: a method's result together with the HTTP answer that produced it.

Every method of every resource is reachable as ``client.with_raw_response.<resource>.<method>(...)`` with the
same arguments; it returns a :class:`RawResponse` instead of the bare result. The request loop hands each
successful reply to the context that asked for it (:data:`multimarkets._transport.replies`), so a method that
turns the answer into a plain value (a customer number, a bool, ``None``) still has its HTTP side, and the
normal path pays one context variable look-up per call.

Methods that make many calls (``iterate``, ``stream_register``, ``register_many``) have no single HTTP answer
and are refused here: each page of :meth:`list` has one, and every model an iterator yields carries its page's
``trace``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ._transport import Reply, replies

if TYPE_CHECKING:
    from ._sync._portal import Portal

__all__ = ["AsyncRawResponses", "RawResponse", "RawResponses", "raw_response"]

T = TypeVar("T")

_MANY_CALLS = {
    "iterate": "it walks every page: call with_raw_response.{owner}.list(page=...) for one page",
    "stream_register": "a bulk run makes one call per row: each RowResult counts its attempts",
    "register_many": "a bulk run makes one call per row: each RowResult counts its attempts",
    "aclose": "closing makes no API call",
    "events": "a Data Push stream is a WebSocket, not an HTTP answer",
    "run": "a Data Push stream is a WebSocket, not an HTTP answer",
}


@attrs.frozen
class RawResponse(Generic[T]):
    """What a method returned (``parsed``) and the HTTP answer behind it: the last one, when the method had to
    make a second call (e.g. ``place_order`` looking its order up after a refused retry)."""

    parsed: T
    """The method's usual result."""
    status: int
    """The HTTP status (200: errors raise, as without ``with_raw_response``)."""
    headers: Mapping[str, str] = attrs.field(repr=False)
    """The response headers (case-insensitive)."""
    trace: str | None
    """The trace id of the answer: quote it to support."""
    attempts: int
    """How many attempts the call took (more than 1 when a transient failure was retried)."""


async def raw_response(method: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> RawResponse[T]:
    """Await ``method(*args, **kwargs)`` and return its result with the last successful reply it received."""
    seen: list[Reply] = []
    token = replies.set(seen)
    try:
        parsed = await method(*args, **kwargs)
    finally:
        replies.reset(token)
    if not seen:
        raise RuntimeError(f"{getattr(method, '__qualname__', method)} made no API call")
    last = seen[-1]
    return RawResponse(parsed, last.status, last.headers, last.trace, last.attempts)


class AsyncRawResponses:
    """``client.with_raw_response`` (and each ``.resource`` in it): the same methods, each returning a
    :class:`RawResponse` of what the plain method returns."""

    __slots__ = ("_name", "_target")

    def __init__(self, target: object, name: str = "client") -> None:
        self._target = target
        self._name = name

    def __getattr__(self, name: str) -> Any:
        from .resources._base import AsyncResource  # imported with the first resource namespace anyway

        attribute = getattr(self._target, name)
        if isinstance(attribute, AsyncResource):
            return AsyncRawResponses(attribute, name)
        if not _one_call(name, attribute):
            why = _MANY_CALLS.get(name, "it is not an API method").format(owner=self._name)
            raise AttributeError(f"with_raw_response has no {self._name}.{name}: {why}")

        async def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            return await raw_response(attribute, *args, **kwargs)

        return call

    def __dir__(self) -> list[str]:
        from .resources._base import AsyncResource

        members = {name: getattr(self._target, name) for name in dir(self._target) if not name.startswith("_")}
        return [name for name, value in members.items() if isinstance(value, AsyncResource) or _one_call(name, value)]

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._name}>"


def _one_call(name: str, attribute: object) -> bool:
    """Whether ``attribute`` (``name`` on a client or resource) is an API method that makes one call."""
    return name not in _MANY_CALLS and not name.startswith("_") and inspect.iscoroutinefunction(attribute)


class RawResponses:
    """The sync client's ``with_raw_response``: :class:`AsyncRawResponses` run through the client's portal."""

    __slots__ = ("_async", "_portal")

    def __init__(self, async_raw: AsyncRawResponses, portal: Portal) -> None:
        self._async = async_raw
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._async, name)
        if isinstance(attribute, AsyncRawResponses):
            return RawResponses(attribute, self._portal)

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            return self._portal.call(attribute, *args, **kwargs)

        return call

    def __dir__(self) -> list[str]:
        return dir(self._async)

    def __repr__(self) -> str:
        return repr(self._async)
