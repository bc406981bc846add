"""Each client's view of its API key's shared sliding window and 418 breaker.

The state itself sits in a :class:`~multimarkets.limits.LimitStore`: by default one per process (every client
of a ``(base_url, api_key)``, sync or async, shares it), or a SQLite file or Redis shared by many processes.

A request occupies a slot from the moment it is admitted until ``window`` seconds after its answer arrived.
The server stamps a request somewhere between our send and its answer, so counting from the answer can
never put more than ``requests`` of ours into any server window, whatever the network jitter; it costs one
round trip per window of throughput (for 100/60 s, a few milliseconds a minute).

When a shared store fails or is slow (Redis down, SQLite file locked), the safe side is taken: a call waits for
the store, retrying every half second, and never goes out without a slot; after the client's ``timeout`` it
raises :class:`~multimarkets.limits.LimitStoreError` with nothing sent. A failure to record an answer, a pause or
a ban is logged as a warning: the slot then counts until its lease ends, and other processes learn of the
pause or ban from the service itself.

Every client keeps its own limit: it waits until the key's window, which counts the requests of every client,
has room under *its* limit. ``rate_limit=None`` never waits, but its requests still count for the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterable

import anyio

from .config import RateLimit
from .errors import ClientClosedError, ConfigurationError, IPBannedError, RateLimitError
from .limits import LimitStore, LimitStoreError, MemoryLimitStore, open_limit_store

__all__ = ["DEFAULT_BAN_SECONDS", "MAX_BAN_SECONDS", "KeyLimiter", "forget", "limiter_for"]

DEFAULT_BAN_SECONDS = 300.0
"""How long a 418 stops calls when the server does not say: the documented first ban is 5 minutes."""

MAX_BAN_SECONDS = 3600.0
"""The longest a 418 stops calls, whatever its Retry-After says: the documented bans grow by 5 minutes each
(5, 10, ...), so an hour is the 12th in a row. A longer real ban costs one request an hour, answered 418 again
with the rest of it; a wrong hint (a typo, a hostile proxy) cannot stop a key for days, in a store that may
outlive the process."""

LEASE_MARGIN = 5.0
"""Seconds beyond the timeout after which a slot whose request never reported back counts as answered."""

_STORE_RETRY_SECONDS = 0.5

_PAUSE_SLACK_SECONDS = 1.0
"""How much later than the pause already logged a new one must end to be logged too: the answers of calls in
flight together come a few milliseconds apart, each pausing the key from its own arrival."""

logger = logging.getLogger("multimarkets")

# The process id in slot ids, kept here: os.getpid() is a system call on every call (glibc caches no pid).
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


class KeyLimiter:
    """One client's limit on its key's shared window, pause and ban state (see the module docs)."""

    def __init__(self, store: LimitStore, key: str, limit: RateLimit | None, *, owns_store: bool) -> None:
        self._store = store
        self._owns_store = owns_store
        self._key = key
        self._limit = limit
        # asyncio's lock is taken without a checkpoint when free: an uncontended call then costs no extra turn
        # of the event loop (anyio's costs several times more even with fast_acquire).
        self._queue = asyncio.Lock()
        # Slot ids unique across processes (shared stores) without asking the OS for randomness per call; the
        # pid tells a forked child's slots from its parent's.
        self._slot_prefix = uuid.uuid4().hex
        self._slot_numbers = itertools.count()
        self._queued = 0  # calls inside acquire's queue, waiting for it or for a slot
        # The in-process store (not a subclass: those may wait) answers without suspending: see acquire.
        self._memory = store if type(store) is MemoryLimitStore else None
        self._closed = False
        self._wake: anyio.Event | None = None  # set on close; made by the first call that waits
        # When the store's current outage began (None: it answers). Shared by the calls of this client: a call
        # that queued behind others during the outage has been held by it as long as they have.
        self._failing_since: float | None = None
        # When the last pause this client logged ends (monotonic): the 429s of calls that were in flight together
        # make one pause, worth one warning.
        self._pause_logged_until = 0.0

    def __repr__(self) -> str:
        return f"KeyLimiter(limit={self._limit!r}, store={self._store!r})"

    @property
    def limit(self) -> RateLimit | None:
        """This client's limit (None: it never waits; its requests still count for the key)."""
        return self._limit

    @property
    def store(self) -> LimitStore:
        """Where the key's window and ban state live."""
        return self._store

    def admit(self, call_timeout: float) -> str | None:
        """A slot at once when the in-process store grants one without a wait and nobody is queued (the usual
        call), without a coroutine; None: await :meth:`acquire`, which asks again."""
        memory = self._memory
        if memory is None or self._queued or self._closed:
            return None
        slot = self._new_slot()
        verdict = memory.acquire_now(self._key, slot, self._limit, call_timeout + LEASE_MARGIN)
        return slot if verdict.wait <= 0 and verdict.banned_for <= 0 else None

    async def acquire(self, call_timeout: float) -> str:
        """Wait for a slot and return its id for :meth:`release`; raises :class:`IPBannedError` while banned, and
        :class:`ClientClosedError` once :meth:`aclose` was called (also for the calls waiting then).

        ``call_timeout`` is the calling client's timeout: how long a store outage may hold the call, and (plus a
        margin) the lease of its slot."""
        # Nobody is queued and the in-process store answers without suspending: asking it here is the queue's own
        # turn, without a lock and two coroutines per call. Anything but a free slot (a wait, a ban) is left to
        # the queue, which asks again.
        slot = self.admit(call_timeout)
        if slot is not None:
            return slot
        # One waiter per client asks the store at a time (the others queue here): a freed slot is then contended
        # by one task per process, not by every task of every process at once.
        began = time.monotonic()
        self._queued += 1
        try:
            async with self._queue:
                return await self._wait_for_slot(call_timeout, began)
        finally:
            self._queued -= 1

    def _new_slot(self) -> str:
        return f"{self._slot_prefix}{_pid}:{next(self._slot_numbers)}"

    async def _wait_for_slot(self, call_timeout: float, began: float) -> str:
        slot = self._new_slot()
        warned = False
        # Sleeping for the computed delay, not waiting on an event: waiters live in other loops and processes.
        while True:
            if self._closed:
                raise ClientClosedError("this client is closed")
            if self._store_down_for(began) >= call_timeout:
                # The call ahead of this one just gave up on the store: this one waited as long, ask no more.
                raise LimitStoreError(
                    f"limit store {self._store!r} unavailable for {call_timeout:.0f} s, nothing was sent"
                )
            asked = time.monotonic()
            try:
                verdict = await self._store.acquire(self._key, slot, self._limit, call_timeout + LEASE_MARGIN)
            except LimitStoreError as exc:
                if self._failing_since is None:
                    self._failing_since = asked
                if not warned:
                    warned = True
                    logger.warning("%s; holding calls until it answers (at most %.0f s)", exc, call_timeout)
                if self._store_down_for(began) >= call_timeout:
                    raise LimitStoreError(f"{exc}; unavailable for {call_timeout:.0f} s, nothing was sent") from None
                await self._nap(_STORE_RETRY_SECONDS)
                continue
            self._failing_since = None
            if verdict.banned_for > 0:
                raise IPBannedError(
                    f"API key is banned for ignoring rate limits; calls resume in {verdict.banned_for:.0f} s",
                    code="HTTP 418",
                    http_status=418,
                    banned_until=time.monotonic() + verdict.banned_for,
                )
            if verdict.wait <= 0:
                return slot
            await self._nap(verdict.wait)

    def _store_down_for(self, began: float) -> float:
        """How long the store has failed a call that began waiting at ``began`` (0 while it answers)."""
        if self._failing_since is None:
            return 0.0
        return time.monotonic() - max(began, self._failing_since)

    async def _nap(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the client closes meanwhile."""
        if self._wake is None:
            self._wake = anyio.Event()
        with anyio.move_on_after(seconds):
            await self._wake.wait()

    def release_now(self, slot: str) -> bool:
        """:meth:`release` done at once, without a coroutine, when the store is the in-process one (True); False:
        await :meth:`release`."""
        if self._memory is None:
            return False
        self._memory.release_now(self._key, slot)
        return True

    async def release(self, slot: str) -> None:
        """Mark the admitted request as answered (or abandoned): its slot runs for one window from now."""
        if self.release_now(slot):
            # It never suspends, so nothing can interrupt it: no shield needed (entering one costs more than the
            # release itself).
            return
        with anyio.CancelScope(shield=True):
            try:
                await self._store.release(self._key, slot)
            except LimitStoreError as exc:
                logger.warning("%s; the slot counts until its lease ends", exc)

    async def occupy(self, wall_times: Iterable[float]) -> None:
        """Count requests that another process sent with this key (e.g. a killed run, from its journal) as
        answered at these wall-clock times, so that this process keeps to the service's window from its start."""
        now = time.time()
        await self._store.occupy(self._key, [now - t for t in wall_times])

    async def pause(self, seconds: float, cause: RateLimitError) -> None:
        """Hold every limited caller of the key for ``seconds`` after ``cause`` (a 429), and say so once."""
        self._log_pause(seconds, cause)
        try:
            await self._store.pause(self._key, seconds)
        except LimitStoreError as exc:
            logger.warning("%s; the 429 pause is not shared", exc)

    def _log_pause(self, seconds: float, cause: RateLimitError) -> None:
        # The calls held by a pause wait without a word, and a long one (up to MAX_RETRY_AFTER) looks like a hang.
        # A client without a limit is not held (see the module docs): nothing to explain.
        ends = time.monotonic() + seconds
        if self._limit is None or ends <= self._pause_logged_until + _PAUSE_SLACK_SECONDS:
            return
        self._pause_logged_until = ends
        hint = "none" if cause.retry_after is None else f"{cause.retry_after:g} s"
        logger.warning(
            "%s answered HTTP 429, rate limited (Retry-After: %s; trace %s): calls with this API key wait %.0f s",
            cause.biz_type,
            hint,
            cause.trace,
            seconds,
        )

    async def ban(self, seconds: float) -> float:
        """Open the breaker for ``seconds``, at most :data:`MAX_BAN_SECONDS` (after a 418); returns the monotonic time
        it closes."""
        seconds = min(seconds, MAX_BAN_SECONDS)
        try:
            return time.monotonic() + await self._store.ban(self._key, seconds)
        except LimitStoreError as exc:
            logger.warning("%s; the ban is not shared", exc)
            return time.monotonic() + seconds

    async def aclose(self) -> None:
        """Wake the calls waiting for a slot (they raise :class:`ClientClosedError`) and close the store's
        connections if this limiter opened it (a store passed in stays open)."""
        self._closed = True
        if self._wake is not None:
            self._wake.set()
        if self._owns_store:
            await self._store.aclose()


_explicit: dict[str, weakref.WeakKeyDictionary[object, RateLimit]] = {}
_explicit_lock = threading.Lock()


def limiter_for(
    owner: object,
    base_url: str,
    api_key: str,
    limit: RateLimit | None,
    *,
    explicit: bool,
    store: str | LimitStore | None,
) -> KeyLimiter:
    """The limiter of ``owner`` (a client session) on its key.

    ``explicit`` says the user chose ``limit``; two owners alive at once with different explicit limits for one
    key raise :class:`ConfigurationError` naming both. :func:`forget` ends ``owner``'s claim.
    """
    # The key names the service and API key without writing the API key into a shared store.
    key = hashlib.sha256(f"{base_url.rstrip('/')}\n{api_key}".encode()).hexdigest()[:32]
    if explicit and limit is not None:
        with _explicit_lock:
            claims = _explicit.setdefault(key, weakref.WeakKeyDictionary())
            other = next((claimed for claimed in claims.values() if claimed != limit), None)
            if other is not None:
                raise ConfigurationError(
                    f"another client of this API key uses rate_limit={_text(other)}, this one asks for "
                    f"{_text(limit)}: one key has one limit (close the other client, or pass the same limit)"
                )
            claims[owner] = limit
    opened = open_limit_store(store)
    owns = opened is not store and not isinstance(opened, MemoryLimitStore)
    return KeyLimiter(opened, key, limit, owns_store=owns)


def forget(owner: object) -> None:
    """Drop ``owner``'s explicit limit (its client was closed)."""
    with _explicit_lock:
        for claims in _explicit.values():
            claims.pop(owner, None)


def _text(limit: RateLimit) -> str:
    return f"{limit.requests}/{limit.window:g}s"
