"""Hostile servers on loopback for the transport tests.

A :class:`RawServer` answers with whatever bytes a test scripts (redirects, endless bodies, lying headers),
from an event loop in a thread of its own, so the async client (in the test's loop) and the sync client (in
its portal) reach it alike. It records every request it received.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"

Call = Callable[..., Any]
"""``call(base_url, body=None, **client_options)``: one idempotent call with a new client (see conftest)."""


@attrs.frozen
class RawRequest:
    """One request as it arrived: method, request target, headers (lower-case names), body, and when (epoch ms)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    received_ms: int


Respond = Callable[[RawRequest, asyncio.StreamWriter], Awaitable[None]]


def answer(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 response that closes the connection."""
    lines = [f"HTTP/1.1 {status} Scripted"]
    fields = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
    lines += [f"{name}: {value}" for name, value in fields.items()]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def envelope(data: Any = None, code: str = "0") -> bytes:
    """A well-formed service envelope."""
    ok = code == "0"
    return json.dumps(
        {"code": code, "msg": "Success" if ok else "failed", "ok": ok, "fail": not ok, "trace": "t-raw-1", "data": data}
    ).encode()


def canned(response: bytes) -> Respond:
    """Answer every request with the same bytes."""

    async def respond(_: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response)
        await writer.drain()

    return respond


async def read_request(reader: asyncio.StreamReader) -> RawRequest:
    """Read one HTTP/1.1 request (head and ``Content-Length`` body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    received_ms = time.time_ns() // 1_000_000
    first, *lines = head.decode("latin-1").split("\r\n")
    method, target, _ = first.split(" ", 2)
    headers = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawRequest(method, target, headers, body, received_ms)


class ThreadServer:
    """A TCP server on 127.0.0.1 (TLS with ``ssl_context``), run by an event loop in a thread of its own."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=type(self).__name__, daemon=True)
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self._thread.start()
        self._server = self._run(asyncio.start_server(self._connection, "127.0.0.1", 0, ssl=ssl_context))
        self.port: int = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """The server's origin."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client takes as base URL."""
        return self.url + "/webhook"

    def _run(self, coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._writers.append(writer)
        try:
            await self.handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client hung up, which is what some tests provoke
        finally:
            self._connections.discard(task)
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection."""
        raise NotImplementedError

    async def connect(self, host: str | None, port: int | None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a connection from this server (to relay to), closed by :meth:`stop` at the latest."""
        reader, writer = await asyncio.open_connection(host, port)
        self._writers.append(writer)
        return reader, writer

    def stop(self) -> None:
        """Stop serving, drop open connections and end the thread once every socket is closed."""
        self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _shutdown(self) -> None:
        self._server.close()
        # A writer's close() only schedules the socket's closing (TLS even waits for the peer), and a connection
        # accepted just before the listener closed has a task that has not started yet: the loop stops only once
        # every task of it has ended and every transport has lost its connection, or the sockets outlive it.
        while others := asyncio.all_tasks() - {asyncio.current_task()}:
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
        for writer in self._writers:
            writer.transport.abort()
        await asyncio.gather(*(writer.wait_closed() for writer in self._writers), return_exceptions=True)


class RawServer(ThreadServer):
    """A scripted HTTP server: each request (recorded in ``requests``) is answered by ``respond``."""

    def __init__(self, respond: Respond) -> None:
        self._respond = respond
        self.requests: list[RawRequest] = []
        self._arrived = threading.Condition()
        super().__init__()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()
        await self._respond(request, writer)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RawRequest]:
        """The requests received, once there are ``count`` (or after ``timeout`` s): this server's thread may read
        a request only after the client that sent it has given up waiting."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)
