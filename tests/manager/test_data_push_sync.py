"""The generated sync ``ManagerClient.data_push``: a plain ``for`` loop over the sandbox's pushes, closed by
``break``, and ended promptly by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable

import pytest

from multimarkets import ClientClosedError, ManagerClient, ManagerCredentials
from multimarkets.manager.push import DataPushEvent, KycEvent
from multimarkets.sandbox import Sandbox


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not met within 10 s"
        time.sleep(0.005)


def test_a_for_loop_gets_each_event_and_break_closes_the_connection() -> None:
    with Sandbox.in_thread() as sandbox:
        given = sandbox.manager_credentials
        credentials = ManagerCredentials(given.app_id, given.app_secret)

        def publish() -> None:
            until(lambda: sandbox.stats()["push_connections"] == 1)
            for n in range(1, 4):
                sandbox.push_event("kyc", {"id": str(n), "revision": 1})
            sandbox.drop_push_connections()  # the reconnection replays them: they are not delivered twice
            sandbox.push_event("kyc", {"id": "4", "revision": 1})

        got: list[DataPushEvent] = []
        with ManagerClient(credentials, given.base_url, strict=True, trust_env=False) as client:
            threading.Thread(target=publish, daemon=True).start()
            for event in client.data_push.events("g1", reconnect_delay=0.01):
                got.append(event)
                if len(got) == 4:
                    break
            until(lambda: sandbox.stats()["push_connections"] == 0)
    assert all(isinstance(event, KycEvent) for event in got)
    assert [event.id for event in got] == ["1", "2", "3", "4"]


def test_run_hands_each_event_to_a_plain_function_until_the_client_closes() -> None:
    handled: list[str | None] = []
    done = threading.Event()
    ended: list[BaseException] = []

    def on_event(event: DataPushEvent) -> None:
        assert isinstance(event, KycEvent)
        handled.append(event.id)
        if len(handled) == 2:
            done.set()

    with Sandbox.in_thread() as sandbox:
        given = sandbox.manager_credentials
        client = ManagerClient(ManagerCredentials(given.app_id, given.app_secret), given.base_url, trust_env=False)

        def follow() -> None:
            try:
                client.data_push.run(on_event, "g1", reconnect_delay=0.01)
            except ClientClosedError as exc:
                ended.append(exc)

        follower = threading.Thread(target=follow)
        follower.start()
        until(lambda: sandbox.stats()["push_connections"] == 1)
        sandbox.push_event("kyc", {"id": "1", "revision": 1})
        sandbox.push_event("kyc", {"id": "2", "revision": 1})
        assert done.wait(30)
        client.close()
        follower.join(30)
        until(lambda: sandbox.stats()["push_connections"] == 0)
    assert handled == ["1", "2"]
    assert len(ended) == 1


CHILD = textwrap.dedent(
    """
    import signal, threading, time
    from multimarkets import ClientClosedError, ManagerClient, ManagerCredentials
    from multimarkets.sandbox import Sandbox

    # Ctrl-C raises KeyboardInterrupt even where this process was started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)

    with Sandbox.in_thread() as sandbox:
        given = sandbox.manager_credentials

        def publish():
            while sandbox.stats()["push_connections"] == 0:
                time.sleep(0.005)
            sandbox.push_event("kyc", {"id": "1"})

        threading.Thread(target=publish, daemon=True).start()
        client = ManagerClient(ManagerCredentials(given.app_id, given.app_secret), given.base_url, trust_env=False)
        try:
            for event in client.data_push.events("g1"):
                print("event", event.event_type, flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic(), flush=True)
        client.close()
    """
)


def test_ctrl_c_ends_the_sync_loop_promptly() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as child:
        try:
            assert child.stdout is not None and child.stderr is not None
            assert child.stdout.readline() == "event kyc\n"  # the loop now waits for the next event
            sent = time.monotonic()
            child.send_signal(signal.SIGINT)
            word, at = child.stdout.readline().split()
            assert word == "interrupted"
            # Promptly: well inside the stream's own waits (pings every 10 s, no event due), with room for a
            # loaded CI machine; QA measured about 1 ms idle, 0.4 s under load (CLOCK_MONOTONIC is shared).
            assert float(at) - sent < 5.0
            assert child.wait(timeout=30) == 0, child.stderr.read()
        finally:
            if child.poll() is None:
                child.kill()


HANDLER_EXITS = textwrap.dedent(
    """
    import sys, threading, time
    from multimarkets import ManagerClient, ManagerCredentials
    from multimarkets.sandbox import Sandbox

    def on_event(event):
        raise {raised}

    def publish(sandbox, n):
        while sandbox.stats()["push_connections"] == 0:
            time.sleep(0.005)
        sandbox.push_event("kyc", {{"id": str(n)}})

    with Sandbox.in_thread() as sandbox:
        given = sandbox.manager_credentials
        with ManagerClient(ManagerCredentials(given.app_id, given.app_secret), given.base_url, trust_env=False) as c:
            for n in (1, 2):  # the second run proves the client's event loop outlived the first
                threading.Thread(target=publish, args=(sandbox, n), daemon=True).start()
                try:
                    c.data_push.run(on_event, "g1")
                except BaseException as exc:
                    print(n, type(exc).__name__, exc.args, threading.current_thread() is threading.main_thread())
    print("closed")
    """
)


@pytest.mark.parametrize(
    ("raised", "seen"),
    [("SystemExit(3)", "SystemExit (3,)"), ("KeyboardInterrupt('stop')", "KeyboardInterrupt ('stop',)")],
)
def test_a_handler_raising_systemexit_or_keyboardinterrupt_ends_run_in_the_callers_thread(
    raised: str, seen: str
) -> None:
    child = subprocess.run(
        [sys.executable, "-c", HANDLER_EXITS.format(raised=raised)], capture_output=True, text=True, timeout=120
    )
    assert child.stdout.splitlines() == [f"1 {seen} True", f"2 {seen} True", "closed"], child.stderr
    assert child.returncode == 0 and child.stderr == "", child.stderr
