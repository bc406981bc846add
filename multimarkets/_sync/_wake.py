"""How a thread waiting for the portal's loop sleeps, and how the loop wakes it.

Each waiting thread sleeps in a ``read`` on a socket pair of its own, made on its first wait, and the loop wakes it
by writing one byte. A socket rather than a lock because the write lets go of the GIL *before* it wakes the
thread: the kernel often runs the woken thread at once in place of the loop thread, and a lock released while the
loop holds the GIL (``Lock.release`` keeps it) woke the thread only for it to block on the GIL again and wake the
loop thread back: measured 3.1-3.9 voluntary context switches per sync call with the lock, 1.9-2.1 with the socket.

At most :data:`SOCKET_THREADS` threads hold a pair at a time (two file descriptors each, however many threads a
program runs); the others, a thread that cannot get two more file descriptors (its process is at its limit), and
every thread on Windows, where a socket is not a file descriptor, sleep on a lock instead.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Final, Protocol

__all__ = ["SIGNAL_CHECK", "SOCKET_THREADS", "Waker", "process_id", "waker"]

# A waiting thread wakes this often although nothing happened: CPython runs signal handlers between bytecodes
# and when a blocking wait is interrupted, so a Ctrl-C landing just before the wait blocks would otherwise be
# noticed only when the call ends, which may be never.
SIGNAL_CHECK: Final = 0.25
SOCKET_THREADS: Final = 64
"""How many threads may hold a socket pair at a time."""


class Waker(Protocol):
    """One thread's wake-up channel. ``sleep()`` in that thread returns when ``wake()`` was called (at any time
    since the last ``sleep()`` returned: a wake-up is never lost, an old one may end a later sleep early, so
    sleepers check what they wait for and sleep again), or after at most :data:`SIGNAL_CHECK` seconds."""

    def wake(self) -> None:
        """From any thread (the loop's): end the owner's current or next sleep."""

    def sleep(self) -> None:
        """In the owner thread: wait for a wake-up, at most :data:`SIGNAL_CHECK` seconds."""


class _SocketWaker:
    """A socket pair (see the module docs), held as bare descriptors: a socket object collected with the waker in
    one garbage cycle might be finalised first and warn that it was left open."""

    __slots__ = ("__weakref__", "_sleeping", "_waking")

    def __init__(self, sleeping: socket.socket, waking: socket.socket) -> None:
        waking.setblocking(False)  # the loop never blocks here: a full buffer already holds a wake-up
        # A timeout of the socket itself: one read per sleep, where settimeout() would poll before each.
        seconds = int(SIGNAL_CHECK)
        timeval = struct.pack("ll", seconds, int((SIGNAL_CHECK - seconds) * 1e6))
        sleeping.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        self._sleeping, self._waking = sleeping.detach(), waking.detach()

    # try/except rather than contextlib.suppress: these run twice per sync call, suppress() is a context manager.
    def wake(self) -> None:
        try:  # noqa: SIM105
            os.write(self._waking, b"\0")
        except OSError:  # full: wake-ups are pending anyway
            pass

    def sleep(self) -> None:
        try:  # noqa: SIM105
            os.read(self._sleeping, 4096)  # every wake-up pending so far
        except OSError:  # the timeout
            pass

    def __del__(self, close: Callable[[int], None] = os.close) -> None:
        # Its thread has ended and no outcome refers to it any more (perhaps at exit, ``os`` already torn down).
        close(self._sleeping)
        close(self._waking)


class _LockWaker:
    """The same on a lock, for a thread that could not get a socket pair."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def wake(self) -> None:
        try:  # noqa: SIM105
            self._lock.release()
        except RuntimeError:  # released already: a wake-up is pending
            pass

    def sleep(self) -> None:
        self._lock.acquire(timeout=SIGNAL_CHECK)


_threads = threading.local()  # each thread's waker, closed with the thread
_socket_wakers: weakref.WeakSet[_SocketWaker] = weakref.WeakSet()
_pid = os.getpid()


def waker() -> Waker:
    """The calling thread's :class:`Waker`, made on first use."""
    try:
        return _threads.waker  # type: ignore[no-any-return]
    except AttributeError:
        made: Waker = _LockWaker()
        # Two threads may pass this check at once and go one over: a bound on files, not an exact count.
        if sys.platform != "win32" and len(_socket_wakers) < SOCKET_THREADS:
            try:
                made = _SocketWaker(*socket.socketpair())
                _socket_wakers.add(made)
            except OSError:
                pass
        _threads.waker = made
        return made


def process_id() -> int:
    """``os.getpid()`` without its system call on every sync call."""
    return _pid


def _forked() -> None:
    """In a child process: the parent's wakers are shared with the parent (a byte sent there could wake either)."""
    global _threads, _pid
    _threads, _pid = threading.local(), os.getpid()


os.register_at_fork(after_in_child=_forked)
