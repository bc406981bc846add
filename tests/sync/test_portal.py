"""The portal's guarantees for calls and iteration (design.md, "The portal is the one hand-written sync piece"),
one test each; its lifetime (start, close, exit, fork, many threads) is in test_portal_lifetime.py.

These use small real async objects, not the SDK client. Nothing here sleeps for timing: threads and
coroutines hand over through events, and every wait has a timeout so that a regression fails, not hangs.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import CancelledError
from functools import partial
from types import FrameType

import anyio
import anyio.lowlevel
import pytest
from portal_helpers import (
    TIMEOUT,
    Boom,
    count,
    double,
    fail,
    in_thread,
    interrupt_main_thread,
    sigint_raises_keyboard_interrupt,
)

from multimarkets._sync._calls import Call
from multimarkets._sync._portal import Portal, SyncUsageError
from multimarkets.errors import MultiMarketsError


def test_call_and_iterate_return_results_and_raise_errors(portal: Portal) -> None:
    assert portal.call(double, 21) == 42
    assert list(portal.iterate(count, 3)) == [0, 1, 2]
    with pytest.raises(Boom, match="no"):
        portal.call(fail)


def test_sync_usage_error_is_a_runtime_error_of_the_sdk() -> None:
    assert issubclass(SyncUsageError, RuntimeError)
    assert issubclass(SyncUsageError, MultiMarketsError)


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


def test_a_call_cancelled_before_its_first_step_still_ends_its_wait(portal: Portal) -> None:
    """A Ctrl-C in the instant between a call's task being made and its first step: the coroutine never runs,
    and the caller's wait (its unwinding, before KeyboardInterrupt is raised) ends at once, not after the grace."""
    open_iteration = portal.iterate(count, 2)
    assert next(open_iteration) == 0  # while it is open, the portal's thread runs the loop (a lending portal's too)
    loop = portal._loop
    assert loop is not None
    busy, release = threading.Event(), threading.Event()
    loop.call_soon_threadsafe(lambda: (busy.set(), release.wait(TIMEOUT)))
    assert busy.wait(TIMEOUT)
    call = Call(partial(double, 2), TIMEOUT)
    portal._submit(call)  # its task is made in the loop's next turn, its first step in the turn after
    call.cancel()  # queued behind the making of the task: the same turn
    release.set()
    call.wait()
    assert call.outcome.done()
    with pytest.raises(CancelledError):
        call.outcome.result()
    assert portal.call(double, 3) == 6
    open_iteration.close()  # type: ignore[attr-defined]


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


async def endless(closed_in: list[int]) -> AsyncIterator[int]:
    """0, 1, 2, ... without end; notes in ``closed_in`` which thread closed it."""
    try:
        i = 0
        while True:
            yield i
            i += 1
    finally:
        await anyio.lowlevel.checkpoint()  # async cleanup works: we are in the loop
        closed_in.append(threading.get_ident())


def test_closing_the_iterator_early_acloses_the_async_generator_in_the_loop(portal: Portal) -> None:
    closed_in: list[int] = []
    for item in portal.iterate(endless, closed_in):
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


async def exits() -> None:
    await anyio.lowlevel.checkpoint()
    raise SystemExit(3)


async def interrupted_after_one() -> AsyncIterator[int]:
    yield 1
    raise KeyboardInterrupt("stop")


def test_systemexit_or_keyboardinterrupt_from_the_loop_reaches_the_caller_and_the_loop_lives_on(
    portal: Portal,
) -> None:
    """What user code run in the loop (a sync client's handler) raises: never a signal, those reach the main
    thread, so the caller gets it and the portal's other calls and its close go on."""
    with pytest.raises(SystemExit) as exited:
        in_thread(lambda: portal.call(exits))
    assert exited.value.code == 3
    got: list[int] = []
    with pytest.raises(KeyboardInterrupt, match="stop"):
        in_thread(lambda: got.extend(portal.iterate(interrupted_after_one)))
    assert got == [1]
    assert in_thread(lambda: portal.call(double, 2)) == 4


# In a process of its own, with a timeout: broken, the caller waits for ever, and so would closing the portal.
FROM_ANOTHER_TASK_SCRIPT = """
import asyncio, sys
from multimarkets._sync._portal import Portal

async def raises(exc):
    await asyncio.sleep(0)
    raise exc

async def exits():
    await asyncio.ensure_future(raises(SystemExit(3)))

async def interrupted():
    yield 1
    await asyncio.ensure_future(raises(KeyboardInterrupt("stop")))

async def double(x):
    return 2 * x

with Portal(name="child", lend=sys.argv[1] == "lent") as portal:
    try:
        portal.call(exits)
    except SystemExit as exc:
        print("SystemExit", exc.code, flush=True)
    got = []
    try:
        got.extend(portal.iterate(interrupted))
    except KeyboardInterrupt as exc:
        print("KeyboardInterrupt", exc, got, flush=True)
    print(portal.call(double, 2), flush=True)
print("closed", flush=True)
"""


@pytest.mark.parametrize("lend", [False, True], ids=["own-thread", "lent"])
def test_systemexit_or_keyboardinterrupt_from_another_task_of_the_call_reaches_the_caller_and_the_loop_lives_on(
    lend: bool,
) -> None:
    """Raised in a task the call awaits (the bulk engine's workers read the user's input there): asyncio keeps it
    in that task, for the call's task to hand on, and also lets it out of the loop's run_forever(). The portal's
    thread runs on; it used to end, leaving the caller and every later call waiting for ever."""
    result = subprocess.run(
        [sys.executable, "-c", FROM_ANOTHER_TASK_SCRIPT, "lent" if lend else "own-thread"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.splitlines() == ["SystemExit 3", "KeyboardInterrupt stop [1]", "4", "closed"], result.stderr
    assert result.returncode == 0, result.stderr
    assert "Exception in thread" not in result.stderr


def test_an_exception_thrown_in_at_an_item_closes_the_async_generator_before_it_is_raised(portal: Portal) -> None:
    """A Ctrl-C landing once the next item had arrived (or ``throw()``): the async generator, idle between two
    items, is closed in the loop before the exception reaches the caller, not left to the garbage collector."""
    closed_in: list[int] = []
    iterator = portal.iterate(endless, closed_in)
    assert next(iterator) == 0
    with pytest.raises(KeyboardInterrupt):
        iterator.throw(KeyboardInterrupt)  # type: ignore[attr-defined]
    assert portal.loop_thread is not None
    assert closed_in == [portal.loop_thread.ident]


def ctrl_c_once_scheduled(frame: FrameType, event: str, arg: object) -> Callable[[FrameType, str, object], None] | None:
    """A trace function raising KeyboardInterrupt, as a Ctrl-C landing there would, as the portal's first
    ``call_soon_threadsafe`` (the scheduling of a task) returns: the task is queued, the caller not yet waiting."""
    if event != "call" or frame.f_code.co_name != "call_soon_threadsafe":
        return None

    def on_return(frame: FrameType, event: str, arg: object) -> None:
        if event == "return":
            raise KeyboardInterrupt

    return on_return


async def others() -> int:
    """The tasks in the portal's loop besides the one asking."""
    return len(asyncio.all_tasks() - {asyncio.current_task()})


def test_ctrl_c_just_after_an_iteration_was_scheduled_leaves_no_task_waiting_in_the_loop(portal: Portal) -> None:
    """Before, the iteration's task, scheduled but never asked for an item, waited in the loop for ever (until the
    garbage collector destroyed it: 'Task was destroyed but it is pending!'). Random Ctrl-Cs during
    customers.iterate: about 2 in 1,000 interrupted iterations."""
    assert portal.call(others) == 0
    iterator = portal.iterate(count, 3)
    sys.settrace(ctrl_c_once_scheduled)
    try:
        with pytest.raises(KeyboardInterrupt):
            next(iterator)
    finally:
        sys.settrace(None)
    assert portal.call(others) == 0
