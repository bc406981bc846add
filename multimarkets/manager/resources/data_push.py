"""``manager.data_push``: the live stream of account and customer events (reference manager-api §6)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING

from ...errors import ConfigurationError
from ...resources._base import AsyncResource

# The stream and its event classes load on first use, so that a Manager client that never follows the Data Push
# does not import them (nor the webhooks package its seen-store comes from).
if TYPE_CHECKING:
    from ...webhooks.dedup import DedupStore
    from ..push import DataPushEvent
    from ..push.stream import PushFeed

__all__ = ["DEFAULT_PING_INTERVAL", "DEFAULT_RECONNECT_DELAY", "AsyncManagerDataPush", "PushHandler"]

logger = logging.getLogger("multimarkets.data_push")

DEFAULT_PING_INTERVAL = 10.0
"""Seconds between two text pings: the documented heartbeat cycle."""
DEFAULT_RECONNECT_DELAY = 0.5
"""Upper bound, in seconds, of the random wait before the first reconnection after a drop."""

PushHandler = Callable[["DataPushEvent"], Awaitable[None] | None]
"""``on_event(event)``: a plain function or a coroutine function."""


class AsyncManagerDataPush(AsyncResource):
    """Data Push: events pushed over a WebSocket, typed, each delivered once.

    ``group`` names the subscription: the service replays to a group what it missed while away (168 hours),
    and a second connection of the same group pushes the first out, so give each consumer its own. ``seen``
    remembers the identities of delivered events (:func:`~multimarkets.manager.push.event_identity`): by
    default the last 10 000, in memory, for one call; pass the same
    :class:`~multimarkets.webhooks.MemoryDedupStore` to successive calls, or a
    :class:`~multimarkets.webhooks.SqliteDedupStore` or ``RedisDedupStore`` to remember them across restarts.
    ``ping_interval`` is the heartbeat (the documented 10 s), ``reconnect_delay`` the bound of the first random
    wait before reconnecting.

    A shared store is called in a worker thread (at most 8 at a time, apart from anyio's default pool), so that a
    Redis that does not answer holds up this stream only, not the other coroutines. A store failure
    (:class:`~multimarkets.webhooks.DedupStoreError`) is logged and does not end the stream: a failed claim is
    asked again after a growing random wait, the event held back, on the same connection (nothing is lost, and
    nothing delivered that may be a repeat); an event whose record fails is delivered all the same (its claim
    stays until it expires: a replay after that is delivered again).
    """

    __slots__ = ()

    async def events(
        self,
        group: str,
        *,
        seen: DedupStore | None = None,
        ping_interval: float = DEFAULT_PING_INTERVAL,
        reconnect_delay: float = DEFAULT_RECONNECT_DELAY,
    ) -> AsyncGenerator[DataPushEvent, None]:
        """Iterate the events as they arrive, without end; reconnects by itself. An event is recorded as seen
        when it is handed over (use :meth:`run` to record it only once handled). Leaving the loop closes the
        connection; what the service had already sent and the loop had not taken is not sent again."""
        feed = _feed(self, group, seen, ping_interval, reconnect_delay)
        try:
            while True:
                event, key = await feed.next()
                await feed.complete(key)
                yield event
        finally:
            await feed.aclose()

    async def run(
        self,
        on_event: PushHandler,
        group: str,
        *,
        seen: DedupStore | None = None,
        ping_interval: float = DEFAULT_PING_INTERVAL,
        reconnect_delay: float = DEFAULT_RECONNECT_DELAY,
    ) -> None:
        """Call ``on_event`` (sync or async) with each event, without end, as the webhook receiver does: an event
        is recorded as seen once ``on_event`` returns. When it raises, the error is logged, the event is not
        recorded, and it is offered again after a growing random wait, before any later event, on the same
        connection (reconnecting would lose what is in flight: the service takes no acknowledgement). An
        event ``on_event`` can never handle therefore stops the stream: catch what you mean to skip."""
        if not callable(on_event):
            raise ConfigurationError("on_event must be callable")
        feed = _feed(self, group, seen, ping_interval, reconnect_delay)
        try:
            while True:
                event, key = await feed.next()
                await _deliver(on_event, event, key, feed)
        finally:
            await feed.aclose()


def _feed(
    resource: AsyncResource, group: str, seen: DedupStore | None, ping_interval: float, reconnect_delay: float
) -> PushFeed:
    if not isinstance(group, str) or not group.strip():
        raise ConfigurationError("group must be a non-empty name, unique per consumer")
    if ping_interval <= 0 or reconnect_delay < 0:
        raise ConfigurationError("ping_interval must be positive and reconnect_delay not negative")
    from ...webhooks.dedup import MemoryDedupStore
    from ..push.stream import PushFeed

    return PushFeed(
        resource._session,
        group,
        seen=seen if seen is not None else MemoryDedupStore(),
        ping_interval=ping_interval,
        reconnect_delay=reconnect_delay,
        strict=resource._strict,
    )


async def _deliver(on_event: PushHandler, event: DataPushEvent, key: str, feed: PushFeed) -> None:
    """Call ``on_event`` until it returns or a consumer sharing the store has handled the event."""
    import anyio

    from ...webhooks.dedup import Claim

    attempt = 0
    while True:
        try:
            result = on_event(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            released = await feed.release(key)
            logger.exception("on_event failed for %s %s; it is offered again", event.event_type, key)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await feed.release(key)
            raise
        else:
            await feed.complete(key)
            return
        attempt += 1
        await feed.backoff(attempt)
        # A claim the store could not release is still this stream's: offered again without asking.
        if released and await feed.claim(key) is not Claim.NEW:
            return
