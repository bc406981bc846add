"""How a waiting thread is woken (``_sync/_wake.py``): a socket pair per thread, closed with the thread, and a lock
for a thread that cannot get one. Over real HTTP against a sandbox; nothing sleeps for timing."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading

import pytest
from portal_helpers import TIMEOUT

from multimarkets import BridgeClient, NotFoundError
from multimarkets._sync._wake import SOCKET_THREADS
from multimarkets.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox(sandbox_in_thread: Sandbox) -> Sandbox:
    return sandbox_in_thread


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_threads_that_made_sync_calls_leave_no_file_open_when_they_end(sandbox: Sandbox) -> None:
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        expected = len(client.catalog.currencies())  # the connection is open from here on
        gc.collect()  # files of threads ended before this test
        before = open_fds()
        answers: list[int] = []
        for _ in range(20):  # one after the other: the same pooled connection serves them all
            thread = threading.Thread(target=lambda: answers.append(len(client.catalog.currencies())))
            thread.start()
            thread.join(TIMEOUT)
        client.catalog.currencies()  # served after the loop let go of the last thread's waker (see below)
        gc.collect()
        assert answers == [expected] * 20
        assert open_fds() == before


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_threads_whose_sync_call_raised_leave_no_file_open_when_they_end(sandbox: Sandbox) -> None:
    """The error raised holds the frames that waited for it: they must not keep the thread's socket pair (nor its
    place among the SOCKET_THREADS) until the garbage collector breaks that cycle, perhaps much later."""
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        with pytest.raises(NotFoundError):
            client.customers.get("86999999")  # the connection is open from here on
        gc.collect()
        before = open_fds()
        errors: list[str] = []

        def lookup() -> None:
            try:
                client.customers.get("86999999")
            except NotFoundError as exc:
                errors.append(exc.code)

        gc.disable()  # the cycle's collection would hide what the thread's end left open
        try:
            for _ in range(20):
                thread = threading.Thread(target=lookup)
                thread.start()
                thread.join(TIMEOUT)
            # The loop thread may still be inside the last thread's wake-up when join() returns; a call of our own
            # (this thread has its pair already) is served only after that, so every reference it held is gone.
            client.catalog.currencies()
            assert len(errors) == 20
            assert open_fds() == before
        finally:
            gc.enable()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_many_live_threads_hold_a_bounded_number_of_files(sandbox: Sandbox) -> None:
    threads = SOCKET_THREADS + 36
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        expected = len(client.catalog.currencies())
        gc.collect()
        before = open_fds()
        one_at_a_time = threading.Lock()  # so that one pooled connection serves every call
        done = threading.Barrier(threads + 1)
        answers: list[int] = []

        def call_then_stay() -> None:
            with one_at_a_time:
                answers.append(len(client.catalog.currencies()))
            done.wait(TIMEOUT)  # alive, its waker with it, until every thread has had its answer
            done.wait(TIMEOUT)

        started = [threading.Thread(target=call_then_stay) for _ in range(threads)]
        for thread in started:
            thread.start()
        done.wait(TIMEOUT)
        held = open_fds() - before
        done.wait(TIMEOUT)
        for thread in started:
            thread.join(TIMEOUT)
    assert answers == [expected] * threads
    assert held <= 2 * SOCKET_THREADS + 2  # two threads may pass the bound at once


OUT_OF_FILES = """
import os, resource, threading

from multimarkets import BridgeClient
from multimarkets._sync._wake import SOCKET_THREADS
from multimarkets.sandbox import Sandbox

with Sandbox.in_thread() as sandbox:
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as client:
        expected = len(client.catalog.currencies())  # the pooled connection is open from here on
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 16, hard))
        hog = []
        try:
            while True:
                hog.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            pass
        answers = []
        thread = threading.Thread(target=lambda: answers.append(len(client.catalog.currencies())))
        thread.start()
        thread.join(60)
        answers.append(len(client.catalog.currencies()))  # this thread's wake-up channel is made already
        for fd in hog:
            os.close(fd)
        print(answers == [expected, expected], flush=True)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_a_thread_that_cannot_open_a_file_still_gets_its_answer() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", OUT_OF_FILES], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
