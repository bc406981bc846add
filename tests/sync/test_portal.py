"""The portal's guarantees (design.md, "The portal is the one hand-written sync piece"), one test each.

These use small real async objects, not the SDK client. Nothing here sleeps for timing: threads and
coroutines hand over through events, and every wait has a timeout so that a regression fails, not hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import pytest

from multimarkets._sync._portal import Portal, SyncUsageError
from multimarkets.errors import ClientClosedError, MultiMarketsError

T = TypeVar("T")
TIMEOUT = 10.0


@pytest.fixture
def portal() -> Iterator[Portal]:
    with Portal(name="test-portal") as portal:
        yield portal


def in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a helper thread and fail (rather than hang) if it does not finish in time."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result(timeout=TIMEOUT)


async def double(x: int) -> int:
    await anyio.lowlevel.checkpoint()
    return 2 * x


async def count(n: int) -> AsyncIterator[int]:
    for i in range(n):
        await anyio.lowlevel.checkpoint()
        yield i


class Boom(Exception):
    pass


async def fail() -> None:
    await anyio.lowlevel.checkpoint()
    raise Boom("no")


def test_call_and_iterate_return_results_and_raise_errors(portal: Portal) -> None:
    assert portal.call(double, 21) == 42
    assert list(portal.iterate(count, 3)) == [0, 1, 2]
    with pytest.raises(Boom, match="no"):
        portal.call(fail)


def test_sync_usage_error_is_a_runtime_error_of_the_sdk() -> None:
    assert issubclass(SyncUsageError, RuntimeError)
    assert issubclass(SyncUsageError, MultiMarketsError)


def test_loop_starts_lazily_once_and_stops_on_close() -> None:
    portal = Portal(name="lazy-portal")
    assert portal.loop_thread is None
    assert portal.call(double, 1) == 2
    thread = portal.loop_thread
    assert thread is not None and thread.is_alive() and thread.daemon
    portal.call(double, 2)
    assert portal.loop_thread is thread
    portal.close()
    assert not thread.is_alive()


def test_works_inside_a_running_event_loop(portal: Portal) -> None:
    """A notebook cell or a FastAPI handler: sync code called while an asyncio loop runs in this thread."""

    async def handler() -> tuple[int, list[int]]:
        return portal.call(double, 21), list(portal.iterate(count, 2))

    assert asyncio.run(handler()) == (42, [0, 1])


def test_call_from_the_portal_thread_raises_instead_of_deadlocking(portal: Portal) -> None:
    async def callback_inside_the_loop() -> list[str]:
        errors = []
        for attempt in (lambda: portal.call(double, 1), lambda: portal.iterate(count, 1), portal.close):
            try:
                attempt()
            except SyncUsageError as exc:
                errors.append(str(exc))
        return errors

    errors = in_thread(lambda: portal.call(callback_inside_the_loop))
    assert len(errors) == 3
    assert all("own event loop thread" in error for error in errors)
    assert portal.call(double, 2) == 4  # the portal is still usable


def test_call_from_a_plain_callback_in_the_portal_loop_raises(portal: Portal) -> None:
    async def schedule_callback() -> BaseException | None:
        outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

        def callback() -> None:
            try:
                portal.call(double, 1)
            except SyncUsageError as exc:
                outcome.set_result(exc)
            else:
                outcome.set_result(None)

        asyncio.get_running_loop().call_soon(callback)
        return await outcome

    assert isinstance(in_thread(lambda: portal.call(schedule_callback)), SyncUsageError)


@contextlib.contextmanager
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def interrupt_main_thread() -> None:
    """Ctrl-C: SIGINT delivered to the main thread, which is blocked waiting for the portal."""
    main_id = threading.main_thread().ident
    assert main_id is not None
    signal.pthread_kill(main_id, signal.SIGINT)


def test_ctrl_c_while_waiting_cancels_the_coroutine(portal: Portal) -> None:
    assert threading.current_thread() is threading.main_thread()
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            interrupt_main_thread()
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    with sigint_raises_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
        portal.call(slow)
    assert cancelled.is_set()  # already unwound when KeyboardInterrupt arrived
    assert portal.call(double, 3) == 6


def test_ctrl_c_during_iteration_closes_the_async_generator(portal: Portal) -> None:
    finalized = threading.Event()

    async def stalls_after_one() -> AsyncIterator[int]:
        try:
            yield 1
            interrupt_main_thread()
            await anyio.sleep_forever()
            yield 2
        finally:
            finalized.set()

    items = []
    with sigint_raises_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
        for item in portal.iterate(stalls_after_one):
            items.append(item)
    assert items == [1]
    assert finalized.is_set()


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

REGISTER_ACLOSE = sys.argv[1] == "register"


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
        self._portal = Portal()
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


def test_forgetting_close_leaves_no_warning_at_exit() -> None:
    result = run_forgetful_script("register")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello"
    assert not [sign for sign in LEAK_SIGNS if sign in result.stderr], result.stderr


def test_forgetting_close_check_detects_a_leak() -> None:
    """The control: without the on_close hook the same script does leak, so the test above can fail."""
    result = run_forgetful_script("no-hook")
    assert result.stdout.strip() == "hello"
    assert "Unclosed client session" in result.stderr


def test_safe_to_call_from_many_threads_at_once() -> None:
    portal = Portal(name="shared-portal")
    threads = 16
    barrier = threading.Barrier(threads)
    loop_threads: set[int] = set()

    async def tagged(worker: int, i: int) -> tuple[int, int]:
        loop_threads.add(threading.get_ident())
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
    assert len(loop_threads) == 1
    assert not [t for t in threading.enumerate() if t.name == "shared-portal"]


def test_iterate_pulls_one_item_at_a_time(portal: Portal) -> None:
    produced: list[int] = []

    async def numbers() -> AsyncIterator[int]:
        for i in range(100):
            produced.append(i)
            yield i

    iterator = portal.iterate(numbers)
    assert produced == []
    assert next(iterator) == 0
    assert produced == [0]
    assert next(iterator) == 1
    assert produced == [0, 1]
    iterator.close()  # type: ignore[attr-defined]


def test_closing_the_iterator_early_acloses_the_async_generator_in_the_loop(portal: Portal) -> None:
    closed_in: list[int] = []

    async def endless() -> AsyncIterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            await anyio.lowlevel.checkpoint()  # async cleanup works: we are in the loop
            closed_in.append(threading.get_ident())

    for item in portal.iterate(endless):
        if item == 2:
            break
    assert portal.loop_thread is not None
    assert closed_in == [portal.loop_thread.ident]


def test_async_generator_runs_in_a_single_task(portal: Portal) -> None:
    """Cancel scopes and task groups held across ``yield`` require every step to run in the same task."""

    async def with_task_group() -> AsyncIterator[int]:
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.sleep, 0)
            with anyio.fail_after(TIMEOUT):
                for i in range(3):
                    yield i

    async def with_cancel_scope() -> AsyncIterator[int]:
        with anyio.fail_after(TIMEOUT):
            for i in range(3):
                yield i

    assert list(portal.iterate(with_task_group)) == [0, 1, 2]
    iterator = portal.iterate(with_cancel_scope)
    assert next(iterator) == 0
    iterator.close()  # type: ignore[attr-defined]  # exits the scope in the task that entered it


def test_iterate_propagates_errors(portal: Portal) -> None:
    async def breaks() -> AsyncIterator[int]:
        yield 1
        raise Boom("mid-stream")

    iterator = portal.iterate(breaks)
    assert next(iterator) == 1
    with pytest.raises(Boom, match="mid-stream"):
        next(iterator)

    def not_iterable() -> AsyncIterator[int]:
        raise Boom("factory")

    with pytest.raises(Boom, match="factory"):
        list(portal.iterate(not_iterable))


def test_close_runs_callbacks_in_the_loop_last_first_then_refuses_calls() -> None:
    portal = Portal(name="closing-portal")
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


def test_closing_an_unused_portal_starts_nothing() -> None:
    portal = Portal(name="unused-portal")
    ran: list[str] = []

    async def cleanup() -> None:
        ran.append("cleanup")

    portal.on_close(cleanup)
    portal.close()
    assert portal.loop_thread is None
    assert ran == []


def test_closing_while_calls_wait_in_other_threads_ends_them_with_a_clear_error() -> None:
    # A grace longer than our wait: a caller that sits out the grace instead of seeing its call end (as with
    # concurrent.futures.wait(), blind to a cancelled Future) fails here every time, not when two timers race.
    portal = Portal(name="closing-under-load", shutdown_timeout=3 * TIMEOUT)
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
