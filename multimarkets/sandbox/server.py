"""The :class:`Sandbox`: lifecycle (async, or in a background thread) and the Python-side API."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import cattrs
from aiohttp import web

from .. import _served as served
from ..config import Credentials, RateLimit
from ..errors import ConfigurationError
from ..signing import RsaSha1Signer, RsaSha1Verifier
from . import admin
from .clock import WallClock
from .context import Handler
from .delivery import DeliveryPolicy, WebhookDispatcher
from .faults import FaultInjector, FaultSpec, Latency
from .gateway import Gateway, KeyEntry
from .handlers import HANDLERS
from .keys import ApiKeyConfig, key_ring
from .manager import ManagerConfig, ManagerCredentials
from .manager.gateway import ManagerGateway, mount
from .ratelimit import KeyLimiter
from .settings import DEFAULT_RATE_LIMIT, DEFAULT_WEBHOOK_POLICY, SandboxConfig
from .state import Store
from .stats import Stats
from .threaded import SandboxThread

__all__ = ["Sandbox"]

T = TypeVar("T")

_SHUTDOWN_SECONDS = 2.0
_converter = cattrs.Converter()


@attrs.define
class _Running:
    """Everything that exists only while the sandbox serves."""

    loop: asyncio.AbstractEventLoop
    thread_id: int
    runner: web.AppRunner
    store: Store
    gateway: Gateway
    dispatcher: WebhookDispatcher
    credentials: tuple[Credentials, ...]
    platform_public_key: str
    url: str
    manager: ManagerGateway


class Sandbox:
    """A local server that plays the Bridge service.

    Use ``async with Sandbox(...) as sb:`` in async code, ``with Sandbox.in_thread(...) as sb:`` otherwise
    (or the :meth:`in_thread` handle's ``start()``/``stop()`` in a notebook). Point a client at ``sb.base_url``
    with ``sb.credentials``.

    ``rate_limit`` and ``ban`` apply per API key (``"10/2s"`` and ``"3s"`` strings are accepted);
    ``recv_window_max`` caps the recvWindow header (ms); ``db`` a SQLite path that keeps state across
    restarts; ``seed``, ``faults`` and ``latency`` drive fault injection (see :mod:`.faults`);
    ``secret_key`` the default key's RSA secret (generated when None; not together with
    ``api_keys[0].secret_key``); ``api_keys`` a number of keys for ``company_id`` or a list of
    :class:`ApiKeyConfig` (1 to 100 keys, :data:`~multimarkets.sandbox.settings.MAX_API_KEYS`);
    ``slow_body_seconds`` how long ``slow_body`` stalls;
    ``webhook`` the delivery retry policy; ``handlers`` extra or replacement bizTypes; ``clock`` the monotonic
    clock of the rate limiter (tests pass a fake one to step through windows and bans without sleeping);
    ``manager`` how the Manager API side (``{url}/openapi-b``) plays, see :class:`ManagerConfig`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: RateLimit | str = DEFAULT_RATE_LIMIT,
        ban: float | str = 300.0,
        recv_window_max: int = 60_000,
        db: str | os.PathLike[str] | None = None,
        seed: int | None = None,
        faults: FaultSpec | str | None = None,
        latency: Latency | str | None = None,
        secret_key: str | None = None,
        company_id: str = "1",
        api_keys: int | Sequence[ApiKeyConfig] | None = None,
        slow_body_seconds: float = 30.0,
        webhook: DeliveryPolicy = DEFAULT_WEBHOOK_POLICY,
        handlers: Mapping[str, Handler] | None = None,
        clock: Callable[[], float] = time.monotonic,
        manager: ManagerConfig | None = None,
    ) -> None:
        self.config = SandboxConfig.of(
            host=host,
            port=port,
            rate_limit=rate_limit,
            ban=ban,
            recv_window_max=recv_window_max,
            db=db,
            seed=seed,
            faults=faults,
            latency=latency,
            secret_key=secret_key,
            company_id=company_id,
            api_keys=api_keys,
            slow_body_seconds=slow_body_seconds,
            webhook=webhook,
        )
        self._handlers = {**HANDLERS, **(handlers or {})}
        self.manager_config = manager or ManagerConfig()
        self._clock = clock
        self._stats = Stats()
        self._wall = WallClock()
        self._injector = FaultInjector(
            self.config.faults,
            seed=seed,
            base_latency=self.config.latency,
            default_stall=slow_body_seconds,
        )
        self._closing: asyncio.Event | None = None
        self._running: _Running | None = None
        self._thread: SandboxThread[Sandbox] | None = None

    def __repr__(self) -> str:
        where = self._running.url if self._running else "not started"
        return f"<Sandbox {where}>"

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> Sandbox:
        """Open the store and start serving; returns self."""
        if self._running is not None:
            raise RuntimeError("the sandbox is already running")
        config = self.config
        store = Store(config.db)
        try:
            ring = await asyncio.to_thread(key_ring, config.keys, store)  # RSA keygen and key checks: off the loop
            keys = {
                c.api_key: KeyEntry(
                    c.api_key,
                    c.company_id,
                    RsaSha1Verifier(public),
                    KeyLimiter(key.rate_limit or config.rate_limit, key.ban if key.ban is not None else config.ban),
                )
                for c, public, key in zip(ring.credentials, ring.public_keys, config.keys, strict=True)
            }
            self._closing = asyncio.Event()
            signer = RsaSha1Signer(ring.platform_secret)
            dispatcher = WebhookDispatcher(store, self._stats, signer, config.webhook, self._wall.now_ms)
            gateway = Gateway(
                keys=keys,
                handlers=self._handlers,
                store=store,
                stats=self._stats,
                faults=self._injector,
                events=dispatcher,
                clock=self._clock,
                wall=self._wall,
                recv_window_max=config.recv_window_max,
                closing=self._closing,
            )
            app = web.Application()
            app.router.add_post("/webhook/global/{bizType}", gateway.handle)
            manager = await mount(
                app, self.manager_config, store, self._injector, gateway, self._clock, self._wall, config.seed
            )
            admin.add_routes(app, self)
            runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=_SHUTDOWN_SECONDS)
            await runner.setup()
            try:
                site = web.TCPSite(runner, config.host, config.port)
                await site.start()
            except BaseException:
                await runner.cleanup()
                raise
        except BaseException:
            store.close()
            raise
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self._running = _Running(
            loop=asyncio.get_running_loop(),
            thread_id=threading.get_ident(),
            runner=runner,
            store=store,
            gateway=gateway,
            dispatcher=dispatcher,
            credentials=ring.credentials,
            platform_public_key=ring.platform_public_key,
            url=f"http://{host}:{port}",
            manager=manager,
        )
        served.serve(self._running.url, self._running.loop)
        return self

    async def stop(self) -> None:
        """Stop serving: wake stalled answers, abandon pending webhooks, close connections and the store."""
        running, self._running = self._running, None
        if running is None:
            return
        served.unserve(running.url)
        assert self._closing is not None
        self._closing.set()
        try:
            await running.dispatcher.aclose()
            await running.runner.cleanup()
        finally:
            running.store.close()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @classmethod
    def in_thread(cls, **options: Any) -> SandboxThread[Sandbox]:
        """A handle on a sandbox (constructed with ``options``) that serves from its own event loop in a
        background thread: ``with Sandbox.in_thread() as sb:``, or ``sb = handle.start()`` ...
        ``handle.stop()`` where a ``with`` block is awkward (a notebook). The sandbox's methods may then be
        called from any thread."""
        sandbox = cls(**options)
        sandbox._thread = SandboxThread(sandbox)
        return sandbox._thread

    # -- what a client needs ---------------------------------------------------------------------------

    def _state(self) -> _Running:
        if self._running is None:
            raise RuntimeError("the sandbox is not running; use `async with Sandbox()` or `Sandbox.in_thread()`")
        return self._running

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:54321``."""
        return self._state().url

    @property
    def base_url(self) -> str:
        """What a client takes as base URL: calls go to ``{base_url}/global/{bizType}``."""
        return self._state().url + "/webhook"

    @property
    def port(self) -> int:
        """The TCP port served."""
        return int(self._state().url.rpartition(":")[2])

    @property
    def credentials(self) -> Credentials:
        """Credentials of the default (first) API key."""
        return self._state().credentials[0]

    @property
    def all_credentials(self) -> tuple[Credentials, ...]:
        """Credentials of every API key, the default first."""
        return self._state().credentials

    @property
    def manager_base_url(self) -> str:
        """What a Manager client takes as base URL: calls go to ``{manager_base_url}/{bizType}``."""
        return self._state().url + "/openapi-b"

    @property
    def manager_credentials(self) -> ManagerCredentials:
        """App id and secret, company id and company key pair of the Manager API side."""
        return self._state().manager.credentials(self.manager_base_url)

    def push_event(self, event_type: str, data: Mapping[str, Any]) -> None:
        """Send a Manager Data Push event (``{"data", "eventType"}``) to every group, as a registration does."""
        self._call(lambda: self._state().manager.push.publish(self.manager_config.company_id, event_type, data))

    def drop_push_connections(self) -> int:
        """Close every Data Push socket as a network drop would (groups get a replay on reconnect); how many."""
        return self._call(lambda: self._state().manager.push.drop())

    @property
    def platform_public_key(self) -> str:
        """Base64 X.509 public key that verifies the ``signature`` header of webhook deliveries."""
        return self._state().platform_public_key

    # -- control and inspection (from the sandbox's loop thread; from any thread when run by in_thread) ----

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the sandbox's loop (state is only touched there), waiting for the result."""
        running = self._running
        if running is None or threading.get_ident() == running.thread_id:
            return fn()
        portal = self._thread.portal if self._thread is not None else None
        if portal is None:
            raise RuntimeError(
                "this sandbox serves on an event loop in another thread: call it from that thread, "
                "or run it with Sandbox.in_thread()"
            )

        async def call() -> T:
            return fn()

        return portal.call(call)

    def stats(self) -> dict[str, Any]:
        """Counters (Manager ones prefixed ``manager_``), customer counts and every key's ban state (as
        ``/__sandbox__/stats``)."""
        return self._call(self._stats_now)

    def _stats_now(self) -> dict[str, Any]:
        running = self._state()
        now = self._clock()
        keys = running.gateway.keys
        return {
            **self._stats.snapshot(),
            "customers": len(running.store.customers),
            "bans": {k: entry.limiter.ban_state(now) for k, entry in keys.items()},
            "bans_total": sum(entry.limiter.ban_count for entry in keys.values()),
            "faults": str(self.faults),
            "clock_skew_ms": self._wall.skew_ms,
            **running.manager.stats(),
        }

    def customers(self) -> list[dict[str, Any]]:
        """Every Bridge customer of every company, oldest first, as snake_case dicts (Manager: stats())."""
        return self._call(lambda: [_converter.unstructure(c) for c in self._state().store.customers.values()])

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """The outcome of recent webhook events (last 1000), oldest first."""
        return self._call(lambda: [_converter.unstructure(r) for r in self._state().dispatcher.recent])

    async def drain_webhooks(self) -> None:
        """Wait until every queued webhook delivery has succeeded or given up. Call on the sandbox's loop."""
        await self._state().dispatcher.drain()

    def set_faults(self, spec: FaultSpec | str | None) -> FaultSpec:
        """Replace the fault spec; the fault sequence restarts from the seed."""
        parsed = spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec)

        def apply() -> FaultSpec:
            self._injector.spec = parsed
            return parsed

        return self._call(apply)

    @property
    def faults(self) -> FaultSpec:
        """The fault spec in force."""
        return self._injector.spec

    @property
    def clock_skew_ms(self) -> int:
        """How far the server's wall clock is moved, in milliseconds."""
        return self._wall.skew_ms

    def server_time_ms(self) -> int:
        """The server's wall clock (with the skew) in UNIX milliseconds."""
        return self._wall.now_ms()

    def set_clock_skew(self, skew_ms: int) -> None:
        """Move the server's wall clock (recvWindow checks, ``Date`` header) by ``skew_ms``."""

        def apply() -> None:
            self._wall.skew_ms = int(skew_ms)

        self._call(apply)

    def reset(self) -> None:
        """Forget all state, counters, rate-limit and ban history and pending webhooks; restart the fault
        sequence. Keys, the fault spec and the clock skew stay."""

        def apply() -> None:
            running = self._state()
            running.dispatcher.cancel()
            running.store.clear()
            self._stats.reset()
            for entry in running.gateway.keys.values():
                entry.limiter.reset()
            running.manager.reset()
            self._injector.reseed()

        self._call(apply)

    def emit(
        self, event_type: str, content: Mapping[str, Any], *, api_key: str | None = None, delay: float = 0.0
    ) -> bool:
        """Queue a webhook event for ``api_key`` (default: the default key) as a handler's ``ctx.emit`` does."""

        def apply() -> bool:
            running = self._state()
            credentials = running.credentials[0]
            if api_key is not None:
                matches = [c for c in running.credentials if c.api_key == api_key]
                if not matches:
                    raise ConfigurationError("unknown API key")
                credentials = matches[0]
            return running.dispatcher.emit(
                credentials.api_key, credentials.company_id, event_type, content, delay=delay
            )

        return self._call(apply)
