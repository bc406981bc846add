"""The floor the SDK is measured against, and a server that costs the same for every client.

- :func:`canned_server`: a minimal HTTP/1.1 keep-alive server in its own process that answers every POST with
  one success envelope (no signature check, no state), so that the server shares no GIL with the client.
- :func:`signed_request` / :func:`post`: a bare aiohttp client doing only what every correct client must do per
  request: build the wire body (password MD5 included), encode it, sign it (the SDK's signer: the scheme is the
  service's), add the headers (built from the SDK's own constants), post, and check the envelope's code.

    python benchmarks/_presigned.py serve    run the canned server alone (prints its port)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import aiohttp

from multimarkets import AsyncBridgeClient, Credentials, RsaSha1Signer
from multimarkets._transport import API_VERSION, USER_AGENT
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.trace import new_trace

Signed = tuple[str, bytes, dict[str, str]]
RECV_WINDOW = str(inspect.signature(AsyncBridgeClient).parameters["recv_window"].default)


def static_headers(credentials: Credentials) -> dict[str, str]:
    """The headers that do not change between requests, as the SDK sends them."""
    return {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "apiKey": credentials.api_key,
        "companyId": credentials.company_id,
        "recvWindow": RECV_WINDOW,
        "version": API_VERSION,
    }


def signed_request(credentials: Credentials, signer: RsaSha1Signer, base_url: str, row: dict[str, Any]) -> Signed:
    """One registration request, built, encoded and signed now, with its own timestamp and trace."""
    body = {
        "pwd": hashlib.md5(row["password"].encode()).hexdigest(),
        "country": row["country"],
        "registerSource": row["register_source"],
        "customerGroupId": 1,
        "email": row["email"],
    }
    timestamp = int(time.time() * 1000)
    headers = static_headers(credentials)
    headers.update(timestamp=str(timestamp), trace=new_trace(), signature=signer.sign(body, timestamp))
    encoded = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return f"{base_url}/global/{ADD_CUSTOMER}", encoded, headers


async def post(session: aiohttp.ClientSession, request: Signed) -> Any:
    """Post one request and return the envelope's data (raising if it is not a success)."""
    url, body, headers = request
    async with session.post(url, data=body, headers=headers) as response:
        envelope = json.loads(await response.read())
    if envelope.get("code") != "0":
        raise RuntimeError(f"bare request failed: {envelope.get('code')} {envelope.get('msg')}")
    return envelope["data"]


# -- the canned server -------------------------------------------------------------------------------------

ENVELOPE = {"code": "0", "ok": True, "fail": False, "msg": "success", "msgParams": None, "bizCode": None}


class _Canned(asyncio.Protocol):
    """Reads requests (Content-Length bodies) and answers each with the canned envelope, keeping the connection."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1").lower()
            length = next((int(line[15:]) for line in head.split("\r\n") if line.startswith("content-length:")), 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            now = time.time()
            body = json.dumps({**ENVELOPE, "tm": int(now * 1000), "trace": "t-canned", "data": "C0000001"}).encode()
            head_out = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: {formatdate(now, usegmt=True)}\r\n"
            self.transport.write(f"{head_out}Content-Length: {len(body)}\r\n\r\n".encode() + body)


async def _serve() -> None:
    server = await asyncio.get_running_loop().create_server(_Canned, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin


@contextlib.contextmanager
def canned_server() -> Iterator[str]:
    """The base URL of a canned-envelope server running in a child process for the duration."""
    child = subprocess.Popen([sys.executable, __file__, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        yield f"http://127.0.0.1:{int(child.stdout.readline())}/webhook"
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    asyncio.run(_serve())
