"""A real ``redis-server`` per test or per session, which tests may pause or kill (``.ci/run`` installs it)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

__all__ = ["RedisProcess", "run_redis"]


class RedisProcess:
    """A real ``redis-server`` on a free loopback port, started by :func:`run_redis`."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, password: str | None) -> None:
        self.process = process
        self.port = port
        self.password = password

    @property
    def url(self) -> str:
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections are accepted by the kernel, commands are never answered."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash: no goodbye to its clients."""
        self.process.kill()
        self.process.wait(timeout=10)


@contextlib.contextmanager
def run_redis(password: str | None = None) -> Iterator[RedisProcess]:
    """Start a ``redis-server`` (``.ci/run`` installs it) with ``requirepass password`` if given; stop it after."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it with apt-get")
        pytest.skip("redis-server is not installed (apt-get install redis-server, as .ci/run does)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if password is not None:
        options += ["--requirepass", password]
    server = subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:  # until it accepts connections (a password-protected one answers -NOAUTH)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith((b"+PONG", b"-NOAUTH")):
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield RedisProcess(server, port, password)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGCONT)  # a paused server would hold the SIGTERM until continued
            server.terminate()
        server.wait(timeout=10)
