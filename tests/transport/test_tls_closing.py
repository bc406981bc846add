"""An HTTPS connection the client closes rather than keeps for reuse (the server said ``Connection: close``, a body
was cut at the size cap) is closed by the time the client's close returns, even while the server has not answered
the client's TLS close_notify: no socket is left for the garbage collector ("unclosed transport"), with the async
client (its loop ends with ``asyncio.run``) and the sync one (its portal's loop stops)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ssl
import warnings
from collections.abc import Callable, Iterator

import pytest
from network_helpers import Authority
from transport_helpers import Call, RawRequest, ThreadServer, answer, envelope, read_request

from multimarkets import ResponseFormatError

CAP = 1024


class LeavesTlsOpen(ThreadServer):
    """A TLS server that answers one request with ``response``, then reads nothing more and never ends the TLS
    session itself (until :meth:`stop`): the client's close_notify stays unanswered, as it does for a while from
    a distant or busy server."""

    def __init__(self, context: ssl.SSLContext, response: bytes) -> None:
        self._response = response
        super().__init__(context)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request: RawRequest = await read_request(reader)
        assert request.method == "POST"
        writer.write(self._response)
        await writer.drain()
        writer.transport.pause_reading()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()  # until stop()


@pytest.fixture
def leaves_tls_open(authority: Authority) -> Iterator[Callable[[bytes], LeavesTlsOpen]]:
    servers: list[LeavesTlsOpen] = []

    def start(response: bytes) -> LeavesTlsOpen:
        servers.append(LeavesTlsOpen(authority.server_context, response))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def unclosed_sockets(run: Callable[[], object]) -> list[str]:
    """The ResourceWarnings ``run()`` left, including those the garbage collector finds right after it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        run()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_an_answer_with_connection_close(
    call: Call, authority: Authority, leaves_tls_open: Callable[[bytes], LeavesTlsOpen]
) -> None:
    server = leaves_tls_open(answer(body=envelope({"total": 0})))  # says "Connection: close"
    answers: list[object] = []
    leaks = unclosed_sockets(lambda: answers.append(call(server.base_url, ssl=authority.ca_file)))
    assert answers == [{"total": 0}]
    assert leaks == []


HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize(
    "response",
    [
        # Every byte sent is read before the cut: no unread data ends the TLS session early on either side.
        pytest.param(f"{HEAD}Content-Length: {4 * CAP}\r\n\r\n".encode(), id="announced"),
        pytest.param(f"{HEAD}Transfer-Encoding: chunked\r\n\r\n{CAP + 1:x}\r\n{'A' * (CAP + 1)}".encode(), id="read"),
    ],
)
def test_a_body_cut_at_the_size_cap(
    call: Call, authority: Authority, leaves_tls_open: Callable[[bytes], LeavesTlsOpen], response: bytes
) -> None:
    server = leaves_tls_open(response)  # keep-alive answers, dropped for their size

    def too_large() -> None:
        with pytest.raises(ResponseFormatError) as caught:
            call(server.base_url, ssl=authority.ca_file, max_response_bytes=CAP, max_retries=0)
        assert caught.value.code == "TOO_LARGE"

    assert unclosed_sockets(too_large) == []
