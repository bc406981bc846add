"""The portal's lifetime: a lazy start, close() from any thread, a forgotten close at exit, fork, many threads.

Like test_portal.py, nothing here sleeps for timing, and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from portal_helpers import TIMEOUT, count, double

from multimarkets._sync._portal import Portal, SyncUsageError
from multimarkets.errors import ClientClosedError

LENDING = pytest.mark.parametrize("lend", [False, True], ids=["own-thread", "lent"])


@LENDING
def test_loop_starts_lazily_once_and_stops_on_close(lend: bool) -> None:
    portal = Portal(name="lazy-portal", lend=lend)
    assert portal.loop_thread is None
    assert portal.call(double, 1) == 2
    thread = portal.loop_thread
    assert thread is not None and thread.is_alive() and thread.daemon
    portal.call(double, 2)
    assert portal.loop_thread is thread
    portal.close()
    assert not thread.is_alive()


def test_use_after_fork_raises_in_the_child(portal: Portal) -> None:
    portal.call(double, 1)  # the loop thread now exists in the parent only
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() of a threaded process
        pid = os.fork()
    if pid == 0:  # child: report and leave without running the parent's cleanup
        code = 1
        try:
            os.close(read_end)
            try:
                portal.call(double, 1)
                report = "no error"
            except SyncUsageError as exc:
                report = str(exc)
            portal.close()  # must neither hang nor touch the parent's loop
            with Portal(name="child-portal") as fresh:
                report += f"|fresh={fresh.call(double, 4)}"
            os.write(write_end, report.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], TIMEOUT)
        report = os.read(read_end, 4096).decode() if ready else "child timed out"
    finally:
        os.close(read_end)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    assert "after os.fork()" in report
    assert report.endswith("|fresh=8")
    assert os.waitstatus_to_exitcode(status) == 0
    assert portal.call(double, 5) == 10  # the parent is unaffected


FORGETFUL_SCRIPT = """
import sys

import aiohttp
from aiohttp import web

from multimarkets._sync._portal import Portal

REGISTER_ACLOSE = sys.argv[1].startswith("register")
LEND = sys.argv[1].endswith("lent")


class Server:
    def __init__(self) -> None:
        self.portal = Portal(name="server")
        self.url = self.portal.call(self._start)

    async def _start(self) -> str:
        async def hello(request: web.Request) -> web.Response:
            return web.Response(text="hello")

        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.portal.on_close(runner.cleanup)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/"


class Client:
    '''Shaped like the generated client: lazy aiohttp session, aclose() registered with its portal.'''

    def __init__(self, url: str) -> None:
        self._url = url
        self._session = None
        self._portal = Portal(lend=LEND)
        if REGISTER_ACLOSE:
            self._portal.on_close(self.aclose)

    async def _get(self) -> str:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.get(self._url) as response:
            return await response.text()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def get(self) -> str:
        return self._portal.call(self._get)


client = Client(Server().url)
print(client.get(), flush=True)
# no close(): the interpreter exits here
"""

LEAK_SIGNS = ("Unclosed client session", "Unclosed connector", "ResourceWarning", "Event loop is closed")


def run_forgetful_script(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", FORGETFUL_SCRIPT, mode],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("mode", ["register", "register-lent"])
def test_forgetting_close_leaves_no_warning_at_exit(mode: str) -> None:
    result = run_forgetful_script(mode)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello"
    assert not [sign for sign in LEAK_SIGNS if sign in result.stderr], result.stderr


def test_forgetting_close_check_detects_a_leak() -> None:
    """The control: without the on_close hook the same script does leak, so the test above can fail."""
    result = run_forgetful_script("no-hook")
    assert result.stdout.strip() == "hello"
    assert "Unclosed client session" in result.stderr


@LENDING
def test_safe_to_call_from_many_threads_at_once(lend: bool) -> None:
    portal = Portal(name="shared-portal", lend=lend)
    threads = 16
    barrier = threading.Barrier(threads)
    loop_threads: set[int] = set()
    loops: set[int] = set()

    async def tagged(worker: int, i: int) -> tuple[int, int]:
        loop_threads.add(threading.get_ident())
        loops.add(id(asyncio.get_running_loop()))
        await anyio.lowlevel.checkpoint()
        return worker, i

    def worker(n: int) -> list[Any]:
        barrier.wait(TIMEOUT)  # all threads race for the lazy start
        results: list[Any] = [portal.call(tagged, n, i) for i in range(20)]
        results.append(list(portal.iterate(count, 3)))
        return results

    try:
        with ThreadPoolExecutor(threads) as pool:
            outcomes = list(pool.map(worker, range(threads), timeout=TIMEOUT))
    finally:
        portal.close()
    for n, results in enumerate(outcomes):
        assert results == [(n, i) for i in range(20)] + [[0, 1, 2]]
    assert len(loops) == 1  # lent, the loop runs in one thread at a time, not always the same
    assert len(loop_threads) == 1 or lend
    assert not [t for t in threading.enumerate() if t.name == "shared-portal"]


@LENDING
def test_close_runs_callbacks_in_the_loop_last_first_then_refuses_calls(lend: bool) -> None:
    portal = Portal(name="closing-portal", lend=lend)
    order: list[tuple[str, int]] = []

    def recorder(name: str) -> Callable[[], Any]:
        async def record() -> None:
            await anyio.lowlevel.checkpoint()
            order.append((name, threading.get_ident()))

        return record

    portal.on_close(recorder("first"))
    portal.on_close(recorder("second"))
    portal.call(double, 1)
    assert portal.loop_thread is not None
    loop_id = portal.loop_thread.ident
    portal.close()
    portal.close()
    assert order == [("second", loop_id), ("first", loop_id)]
    assert portal.closed
    with pytest.raises(ClientClosedError, match="closed"):
        portal.call(double, 1)
    with pytest.raises(ClientClosedError, match="closed"):
        portal.iterate(count, 1)
    with pytest.raises(ClientClosedError, match="closed"):
        portal.on_close(recorder("late"))


@LENDING
def test_closing_an_unused_portal_starts_nothing(lend: bool) -> None:
    portal = Portal(name="unused-portal", lend=lend)
    ran: list[str] = []

    async def cleanup() -> None:
        ran.append("cleanup")

    portal.on_close(cleanup)
    portal.close()
    assert portal.loop_thread is None
    assert ran == []


@LENDING
def test_closing_while_calls_wait_in_other_threads_ends_them_with_a_clear_error(lend: bool) -> None:
    # A grace longer than our wait: a caller that sits out the grace instead of seeing its call end (as with
    # concurrent.futures.wait(), blind to a cancelled Future) fails here every time, not when two timers race.
    portal = Portal(name="closing-under-load", shutdown_timeout=3 * TIMEOUT, lend=lend)
    arrived: list[str] = []
    both_waiting = threading.Event()

    def arrive(name: str) -> None:  # in the loop thread: both callers are inside the loop before close() begins
        arrived.append(name)
        if len(arrived) == 2:
            both_waiting.set()

    async def forever() -> None:
        arrive("call")
        await anyio.sleep_forever()

    async def items() -> AsyncIterator[int]:
        yield 0
        arrive("iterate")
        await anyio.sleep_forever()
        yield 1

    def iterate_all() -> list[int]:
        return list(portal.iterate(items))

    with ThreadPoolExecutor(2) as pool:
        waiting = [pool.submit(portal.call, forever), pool.submit(iterate_all)]
        assert both_waiting.wait(TIMEOUT)
        portal.close()
        for future in waiting:
            with pytest.raises(ClientClosedError, match="closed while this call was running"):
                future.result(timeout=TIMEOUT)
