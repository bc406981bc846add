"""No error we raise, nor anything chained to it, shows the signature or the secret key."""

from __future__ import annotations

import asyncio
import socket
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from transport_helpers import Call, RawRequest, RawServer, answer, canned

from multimarkets import Credentials, MultiMarketsError

SIGNATURE = "c2lnbmF0dXJlLW1hcmtlci0xMjM0NTY3ODk="


class MarkerSigner:
    """Signs every request with the same recognisable value, so a leak anywhere can be found."""

    def sign(self, body: Mapping[str, Any] | None, timestamp: int) -> str:
        return SIGNATURE


def chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception reachable through ``__cause__`` and ``__context__``."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [linked for linked in (current.__cause__, current.__context__) if linked is not None]


async def hang_up(_: RawRequest, writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()


async def never_answer(_: RawRequest, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"


SCENARIOS = {
    "invalid-http": canned(answer(200, b"{}", headers={"X-Big": "a" * 100_000})),
    "hang-up": hang_up,
    "timeout": never_answer,
    "server-error": canned(answer(500, b"<html>oops</html>")),
    "redirect": canned(answer(307, headers={"Location": "http://127.0.0.2:1/steal"})),
    "too-large": canned(answer(200, b"x" * 2048)),
    "bad-json": canned(answer(200, b'{"code": NaN}')),
}


@pytest.mark.parametrize("scenario", [*SCENARIOS, "refused"])
def test_no_signature_or_secret_in_any_error_of_the_chain(
    serve, call: Call, credentials: Credentials, scenario: str
) -> None:
    base_url = closed_port_url() if scenario == "refused" else serve(SCENARIOS[scenario]).base_url
    with pytest.raises(MultiMarketsError) as caught:
        call(base_url, signer=MarkerSigner(), max_retries=1, timeout=0.5, max_response_bytes=1024)
    printed = "".join(traceback.format_exception(caught.value))
    assert SIGNATURE not in printed and credentials.secret_key not in printed
    for error in chain(caught.value):
        for text in (repr(error), str(error)):
            assert SIGNATURE not in text, f"{type(error).__name__} shows the signature"
            assert credentials.secret_key not in text


def test_the_marker_is_what_the_server_received(serve, call: Call) -> None:
    server: RawServer = serve(canned(answer(500)))
    with pytest.raises(MultiMarketsError):
        call(server.base_url, signer=MarkerSigner(), max_retries=0)
    assert server.requests[0].headers["signature"] == SIGNATURE
