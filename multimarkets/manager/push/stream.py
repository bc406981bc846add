"""The Data Push connection (reference manager-api §6.1): the WebSocket ``{base_url}/ws`` with the ``token`` and
``group`` handshake headers, a text ``ping`` every ``ping_interval`` seconds, reconnection after a drop or an
expired token, and the seen-store that hides what the service sends again after a reconnect.

Reconnecting waits a random time (full jitter) up to ``reconnect_delay`` after a connection that delivered
something, and twice as long after each further failure in a row, up to :data:`MAX_RECONNECT_DELAY`. A
handshake refused with HTTP 401 fetches a new token at once; a refused fresh token raises
:class:`~multimarkets.LoginExpiredError`. What may pass is retried without end, each time logged (a stream is
meant to outlive outages): network failures, HTTP 429 and 5xx, from the handshake or the auth call. What cannot
pass by waiting is raised at once, typed: any other refusal of the handshake or the auth call
(:class:`~multimarkets.APIError`; a redirect, never followed: :class:`~multimarkets.RedirectError`), a
certificate that does not verify (:class:`~multimarkets.CertificateError`), a proxy that refuses
(:class:`~multimarkets.APIConnectionError`), and a message longer than the client's ``max_response_bytes``
(:class:`~multimarkets.ResponseFormatError`, code ``TOO_LARGE``: it was not read, and skipping it would lose
an event).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from typing import Any

import aiohttp

from ..._transport import AsyncSession
from ...envelope import proxy_error
from ...errors import (
    APIError,
    CertificateError,
    LoginExpiredError,
    MultiMarketsError,
    Outcome,
    ResponseFormatError,
    classify,
)
from ...webhooks._store_thread import StoreThreads
from ...webhooks.dedup import Claim, DedupStore, DedupStoreError
from ..scheme import ManagerScheme
from .events import PushEvent, UnknownEvent, parse_push

__all__ = ["MAX_RECONNECT_DELAY", "SILENT_PINGS", "PushFeed"]

logger = logging.getLogger("multimarkets.data_push")

MAX_RECONNECT_DELAY = 30.0
"""Upper bound of the wait however many reconnections failed in a row."""
SILENT_PINGS = 3
"""Ping intervals without any frame from the service (not even a pong) after which the connection is dead."""

PATH = "/ws"

_TOO_BIG_SIZE = re.compile(r"Message size (\d+) exceeds")
"""The size in aiohttp's description of a message over the cap (the first frames' of a fragmented one)."""


class PushFeed:
    """Successive Data Push connections of one ``group`` seen as one stream of new events.

    :meth:`next` returns the next event the ``seen`` store has not seen, with its key, claimed: the caller
    must :meth:`complete` or :meth:`release` it. :meth:`aclose` closes the connection.

    The store is called in a worker thread (but :class:`~multimarkets.webhooks.MemoryDedupStore`, which never
    waits), so that a store waiting on its backend holds up this stream only. A store that fails
    (:class:`~multimarkets.webhooks.DedupStoreError`) is logged, never raised: a failed claim is asked again
    after a growing random wait, before any later event, on the same connection (the service takes no
    acknowledgement: ending the stream would lose the event); a failed record or release leaves the claim in
    the store until it expires.
    """

    def __init__(
        self,
        session: AsyncSession,
        group: str,
        *,
        seen: DedupStore,
        ping_interval: float,
        reconnect_delay: float,
        strict: bool,
    ) -> None:
        scheme = session.scheme
        if not isinstance(scheme, ManagerScheme):
            raise TypeError("Data Push needs a Manager session")
        self._session = session
        self._tokens = scheme.tokens
        self._group = group
        self.seen = seen
        self._store = StoreThreads(seen, logger)
        self._ping_interval = ping_interval
        self._reconnect_delay = reconnect_delay
        self._strict = strict
        self._ws: aiohttp.ClientWebSocketResponse[Any] | None = None
        self._pinger: asyncio.Task[None] | None = None
        self._failures = 0
        self._delivered = False

    async def next(self) -> tuple[PushEvent | UnknownEvent, str]:
        """The next event not seen before and its key, claimed in the seen-store."""
        while True:
            event = parse_push(await self._receive(), strict=self._strict)
            if event is None:
                continue
            key = event.identity
            claim = await self.claim(key)
            if claim is Claim.NEW:
                return event, key
            logger.debug("skipped %s %s: %s", event.event_type, key, claim.value)

    async def claim(self, key: str) -> Claim:
        """Claim ``key`` in the seen-store, asking again after a growing random wait while the store fails.

        Never given up: the service takes no acknowledgement, so an event skipped, or the stream ended, would be
        lost, and one delivered unclaimed may be a repeat. Each failure logs how long the stream has been held.
        """
        failures = 0
        started = time.monotonic()
        while True:
            try:
                claim = await self._store.claim(
                    self.seen.claim,
                    key,
                    undo=lambda claim: self._unclaim(key, claim),
                    key_of=lambda claim: key if claim is Claim.NEW else None,
                )
            except DedupStoreError as exc:
                failures += 1
                logger.error(
                    "Data Push: the seen-store failed to claim %s (failure %d in a row, the stream held back "
                    "%.1f s); asking again: %s",
                    key,
                    failures,
                    time.monotonic() - started,
                    exc,
                )
            else:
                if failures:
                    logger.warning(
                        "Data Push: the seen-store claimed %s at attempt %d; the stream was held back %.1f s",
                        key,
                        failures + 1,
                        time.monotonic() - started,
                    )
                return claim
            await self.backoff(failures)

    def _unclaim(self, key: str, claim: Claim) -> None:
        """The stream was cancelled while ``key`` was being claimed: give it up, so that a replay delivers it."""
        if claim is Claim.NEW:
            self._release(key)

    async def complete(self, key: str) -> None:
        """Record a claimed ``key`` as seen; a store that fails is logged (a replay after the claim expires is
        delivered again)."""
        try:
            await self._store.run(self.seen.complete, key, key=key)
        except DedupStoreError as exc:
            logger.error(
                "Data Push: %s was delivered but not recorded, the seen-store failed; "
                "a replay after its claim expires is delivered again: %s",
                key,
                exc,
            )

    async def release(self, key: str) -> bool:
        """Give up the claim of ``key``; False when the store failed and the claim stands (logged)."""
        return await self._store.run(self._release, key, key=key)

    def _release(self, key: str) -> bool:
        try:
            self.seen.release(key)
        except DedupStoreError as exc:
            logger.error("Data Push: %s could not be released, the seen-store failed; it stays claimed: %s", key, exc)
            return False
        return True

    async def aclose(self) -> None:
        """Close the connection (what the service sent and was not read yet is not sent again)."""
        await self._drop()

    async def backoff(self, failures: int | None = None) -> None:
        """Wait a random time up to ``reconnect_delay`` doubled for each failure in a row after the first
        (``failures``, by default the connection attempts that failed in a row), at most 30 s."""
        failures = self._failures if failures is None else failures
        ceiling = min(MAX_RECONNECT_DELAY, self._reconnect_delay * 2 ** max(failures - 1, 0))
        await asyncio.sleep(random.uniform(0, ceiling))

    async def _receive(self) -> str:
        while True:
            ws = self._ws or await self._connect()
            try:
                message = await ws.receive(timeout=SILENT_PINGS * self._ping_interval)
            except asyncio.TimeoutError:
                logger.warning(
                    "Data Push: nothing from the service for %.0f s; reconnecting", SILENT_PINGS * self._ping_interval
                )
                await self._lost()
                continue
            if message.type is aiohttp.WSMsgType.TEXT:
                self._delivered = True
                return str(message.data)
            if message.type is aiohttp.WSMsgType.BINARY:
                self._delivered = True
                return bytes(message.data).decode("utf-8", "replace")
            if message.type is aiohttp.WSMsgType.PING:
                await ws.pong(message.data)
            elif message.type is aiohttp.WSMsgType.ERROR and ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG:
                size = _TOO_BIG_SIZE.search(str(message.data))  # how much to raise the cap by, when aiohttp says
                raise ResponseFormatError(
                    f"a Data Push message{f' of {size[1]} bytes' if size else ''} is larger than "
                    f"max_response_bytes={self._session.max_response_bytes}; it was not read. Give the client a "
                    "larger max_response_bytes to read it",
                    code="TOO_LARGE",
                    biz_type="data push",
                )
            elif message.type is not aiohttp.WSMsgType.PONG:
                logger.info("Data Push connection closed (code %s); reconnecting", ws.close_code)
                await self._lost()

    async def _lost(self) -> None:
        await self._drop()
        self._failures = 1 if self._delivered else self._failures + 1
        await self.backoff()

    async def _connect(self) -> aiohttp.ClientWebSocketResponse[Any]:
        while True:
            fetched = self._tokens.fetches
            try:
                token = await self._tokens.get()
                # aiohttp refuses a message of max_msg_size bytes: the cap is the largest read, as for answers.
                cap = self._session.max_response_bytes + 1
                headers = {"token": token.value, "group": self._group}
                ws = await self._session.websocket(PATH, headers, autoping=False, max_msg_size=cap)
            except aiohttp.WSServerHandshakeError as exc:
                if exc.status != 401:
                    self._refused(exc.status)
                elif self._tokens.fetches > fetched:
                    raise LoginExpiredError(
                        "the Data Push handshake refused a token the auth call had just issued",
                        http_status=401,
                        biz_type="data push",
                    ) from None
                else:
                    logger.info("Data Push: the token expired; fetching a new one")
                    self._tokens.discard(token)
                    continue
            except aiohttp.ClientConnectorCertificateError as exc:
                raise CertificateError(
                    f"the certificate of the Data Push server could not be verified: {exc.certificate_error}",
                    maybe_processed=False,
                ) from None
            except aiohttp.ClientHttpProxyError as exc:
                raise proxy_error(exc.status, exc.message, target="the Data Push server", trace=None) from None
            except MultiMarketsError as exc:  # the auth call's, after the retries the client allows
                if classify(exc) is Outcome.FINAL:
                    raise
                logger.warning("Data Push: the auth call failed (%s: %s); retrying", type(exc).__name__, exc)
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                logger.warning("Data Push: cannot connect (%s: %s); retrying", type(exc).__name__, exc)
            else:
                self._ws, self._delivered = ws, False
                self._pinger = asyncio.get_running_loop().create_task(self._ping(ws))
                return ws
            self._failures += 1
            await self.backoff()

    def _refused(self, status: int) -> None:
        if status == 429 or status >= 500:
            logger.warning("Data Push: the handshake got HTTP %s; retrying", status)
            return
        raise APIError(
            f"the Data Push handshake was refused with HTTP {status}", http_status=status, biz_type="data push"
        )

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse[Any]) -> None:
        while not ws.closed:
            await asyncio.sleep(self._ping_interval)
            try:
                await ws.send_str("ping")
            except (ConnectionError, RuntimeError):
                return  # the connection is going; the reader notices and reconnects

    async def _drop(self) -> None:
        ws, self._ws = self._ws, None
        pinger, self._pinger = self._pinger, None
        if pinger is not None:
            pinger.cancel()
            await asyncio.wait([pinger])  # unlike `await pinger`, lets a cancellation of this task through
        if ws is not None:
            await ws.close()
