"""Small real async objects shared by the portal tests (a plain module: ``conftest`` names are ambiguous
across test dirs)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import anyio.lowlevel

T = TypeVar("T")
# Every wait has this timeout, so that a regression fails instead of hanging.
TIMEOUT = 10.0


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
