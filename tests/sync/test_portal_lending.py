"""A portal that lends its loop (``Portal(lend=True)``, the sync clients'): a calling thread with no loop of its own
runs the loop itself for its call; what it cannot do is left to the portal's thread. The guarantees every portal
keeps run for both kinds in test_portal.py and test_portal_lifetime.py; these are the lending's own.

Like those, nothing here sleeps for timing, and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web
from portal_helpers import TIMEOUT, count, double, in_thread, interrupt_main_thread, sigint_raises_keyboard_interrupt

from multimarkets._sync._portal import Portal


@pytest.fixture
def lending() -> Iterator[Portal]:
    with Portal(name="lending-portal", lend=True) as portal:
        yield portal


async def where() -> int:
    return threading.get_ident()


def test_a_call_runs_in_the_calling_thread_unless_that_thread_runs_a_loop_or_others_are_in_flight(
    lending: Portal,
) -> None:
    assert lending.call(where) == threading.get_ident()
    helper = in_thread(lambda: (threading.get_ident(), lending.call(where)))
    assert helper[0] == helper[1]
    thread = lending.loop_thread
    assert thread is not None

    async def inside_a_running_loop() -> int:
        return lending.call(where)

    assert asyncio.run(inside_a_running_loop()) == thread.ident
    iteration = lending.iterate(count, 2)
    assert next(iteration) == 0  # in flight: the portal's thread runs the loop until it ends
    assert lending.call(where) == thread.ident
    iteration.close()  # type: ignore[attr-defined]
    # Lent again once the portal's thread has let go of the loop, which it does as soon as the iteration ended.
    assert any(lending.call(where) == threading.get_ident() for _ in range(1000))


def test_ctrl_c_when_the_call_ignores_its_cancellation_raises_after_the_grace_and_the_call_goes_on() -> None:
    """The cancelled call may not end (it swallows the cancellation): KeyboardInterrupt comes once the grace is
    over, and the portal's thread runs the call on to its end instead of leaving it stranded in a loop nobody
    runs."""
    ignored, ended = threading.Event(), threading.Event()
    with Portal(name="stubborn", lend=True, shutdown_timeout=0.2) as portal:
        gate: asyncio.Future[None] | None = None

        async def stubborn() -> None:
            nonlocal gate
            gate = asyncio.get_running_loop().create_future()
            interrupt_main_thread()
            try:
                await asyncio.sleep(3 * TIMEOUT)
            except asyncio.CancelledError:
                ignored.set()
            await gate
            ended.set()

        with sigint_raises_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
            portal.call(stubborn)
        assert ignored.is_set() and not ended.is_set()
        assert gate is not None and portal._loop is not None
        portal._loop.call_soon_threadsafe(gate.set_result, None)
        assert ended.wait(TIMEOUT)
        assert portal.call(double, 2) == 4


def test_a_second_ctrl_c_lets_go_of_the_call_at_once() -> None:
    with Portal(name="twice", lend=True, shutdown_timeout=3 * TIMEOUT) as portal:

        async def stubborn() -> None:
            interrupt_main_thread()
            try:
                await asyncio.sleep(3 * TIMEOUT)
            except asyncio.CancelledError:
                interrupt_main_thread()  # within the grace: the loop stops, KeyboardInterrupt comes at once
            await asyncio.sleep(3 * TIMEOUT)  # in the portal's thread from here, until the portal closes

        finished = threading.Event()
        timer = threading.Timer(TIMEOUT, finished.set)
        timer.start()
        try:
            with sigint_raises_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
                portal.call(stubborn)
        finally:
            timer.cancel()
        assert not finished.is_set()  # not after the grace
        assert portal.call(double, 2) == 4


def test_ctrl_c_inside_a_callback_that_settles_what_the_call_awaits_leaves_that_callback_working(
    lending: Portal,
) -> None:
    """SIGINT landing in a loop callback after it found the future the call awaits pending and before it settles
    it, as asyncio's _sock_connect_cb does when a connection is made: the call is cancelled after that callback, not
    in its midst, where cancelling the future made the callback fail (InvalidStateError, which the loop printed as
    "Exception in callback ..." on the way out of a Ctrl-C)."""
    failures: list[dict[str, object]] = []

    async def connecting() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: failures.append(context))
        connected = loop.create_future()

        def connect_callback() -> None:
            if connected.done():
                return
            interrupt_main_thread()  # handled within the call
            connected.set_result(None)

        loop.call_soon(connect_callback)
        await connected
        await asyncio.sleep(3 * TIMEOUT)  # cancelled by then

    with sigint_raises_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
        lending.call(connecting)
    assert failures == []
    assert lending.call(double, 2) == 4


def test_a_stop_left_over_from_an_earlier_run_does_not_end_a_call(lending: Portal) -> None:
    """A Ctrl-C can end a run of the loop after something asked it to stop (a finished call's own stop, queued):
    the next run stops at once, and the call it runs is run on rather than failing."""
    assert lending.call(double, 1) == 2
    loop = lending._loop
    assert loop is not None
    loop.stop()  # not running: the next run stops after one turn
    assert lending.call(double, 2) == 4


def test_a_stop_left_over_from_an_earlier_run_does_not_end_the_portal_threads_run(lending: Portal) -> None:
    """The same leftover stop, met by the portal's thread (an iteration, then close): it runs on while work is
    handed to it, instead of going back to sleep with the iteration and the close waiting for it for ever."""
    assert lending.call(double, 1) == 2
    loop = lending._loop
    assert loop is not None
    loop.stop()
    assert in_thread(lambda: list(lending.iterate(count, 3))) == [0, 1, 2]
    loop.stop()
    in_thread(lending.close)
    assert lending.closed


def test_ctrl_c_while_a_call_is_handed_over_raises_and_leaves_the_portal_working(lending: Portal) -> None:
    """SIGINT landing as the main thread hands a call to the portal's thread (another thread runs the loop for
    its own call): KeyboardInterrupt once the call is scheduled, and the portal goes on working, lends its loop
    again (the handed call was counted to its end) and closes."""
    started, release = threading.Event(), threading.Event()

    async def held() -> None:
        started.set()  # the holder runs the loop for this call
        await asyncio.get_running_loop().run_in_executor(None, release.wait, TIMEOUT)

    class Interrupting(queue.SimpleQueue):  # type: ignore[type-arg]
        """The portal's wake-up queue, whose next put is met by a Ctrl-C."""

        armed = False

        def put(self, item: None, block: bool = True, timeout: float | None = None) -> None:
            if self.armed:
                self.armed = False
                interrupt_main_thread()  # handled at one of the next bytecodes: inside _submit
            super().put(item, block, timeout)

    wanted = lending._wanted = Interrupting()  # before the portal's thread starts waiting on it
    holder = threading.Thread(target=lending.call, args=(held,))
    holder.start()
    try:
        assert started.wait(TIMEOUT)
        wanted.armed = True
        with sigint_raises_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
            lending.call(double, 1)
        assert not wanted.armed
    finally:
        release.set()
        holder.join(TIMEOUT)
    assert lending.call(double, 3) == 6
    # Counted as handed and ended: lent again once the portal's thread has let go of the loop.
    assert any(lending.call(where) == threading.get_ident() for _ in range(1000))
    in_thread(lending.close)
    assert lending.closed


class ClosingServer:
    """Answers every POST; :meth:`shut` ends the connections it has served (as a keep-alive timeout would)."""

    def __init__(self) -> None:
        self.portal = Portal(name="closing-server")
        self.served: list[asyncio.BaseTransport] = []
        self.url = self.portal.call(self._start)

    def shut(self) -> None:
        for transport in self.served:
            transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)  # the FIN goes out now

    async def _start(self) -> str:
        async def hello(request: web.Request) -> web.Response:
            if request.transport is not None:
                self.served.append(request.transport)
            return web.Response(text="hello")

        app = web.Application()
        app.router.add_post("/", hello)  # not retried by aiohttp on a dead connection, as a GET is
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.portal.on_close(runner.cleanup)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/"


def test_a_call_does_not_reuse_a_connection_the_server_closed_while_the_loop_rested(lending: Portal) -> None:
    """Lent, the loop runs only during calls: what happened between two (the server closed a pooled keep-alive
    connection) is taken in before the call picks a connection, as the portal's own thread would have at once;
    otherwise the request goes out on the dead connection and fails (ServerDisconnectedError)."""
    server = ClosingServer()
    session: aiohttp.ClientSession | None = None

    async def get() -> str:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession()
            lending.on_close(session.close)
        async with session.post(server.url) as response:
            return await response.text()

    try:
        assert lending.call(get) == "hello"
        server.shut()
        assert lending.call(get) == "hello"
    finally:
        server.portal.close()
