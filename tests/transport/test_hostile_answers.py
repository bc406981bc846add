"""Whatever a server sends, the client reads a bounded amount and raises a typed error with trace and excerpt."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc

import pytest
from transport_helpers import Call, RawRequest, RawServer, answer, canned

from multimarkets import APIConnectionError, ResponseFormatError

CAP = 64 * 1024


async def announce_a_huge_body_then_hold(_: RawRequest, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(3600)  # the body never comes: only a client that does not wait for it can return


async def stream_forever(_: RawRequest, writer: asyncio.StreamWriter) -> None:
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"code":"0","data":"')
    chunk = b"A" * 65536
    while True:  # until the client hangs up
        writer.write(chunk)
        await writer.drain()


def test_a_content_length_over_the_cap_fails_before_reading(serve, call: Call) -> None:
    server: RawServer = serve(announce_a_huge_body_then_hold)
    with pytest.raises(ResponseFormatError) as caught:
        call(server.base_url, max_response_bytes=CAP, max_retries=0, timeout=60)
    assert caught.value.code == "TOO_LARGE" and str(CAP) in str(caught.value)
    assert caught.value.trace == server.requests[0].headers["trace"]


def test_an_endless_body_is_cut_at_the_cap_with_memory_bounded(serve, call: Call) -> None:
    server: RawServer = serve(stream_forever)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseFormatError) as caught:
            call(server.base_url, max_response_bytes=CAP, max_retries=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "TOO_LARGE"
    assert caught.value.body_excerpt is not None and caught.value.body_excerpt.startswith('{"code":"0","data":"AAA')
    assert len(server.requests) == 2, "cut, then retried once as asked"
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while reading a body capped at {CAP}"


def test_the_default_cap_is_documented_and_applies(serve, call: Call) -> None:
    from multimarkets.config import DEFAULT_MAX_RESPONSE_BYTES

    big = b'{"code":"0","ok":true,"data":"' + b"A" * DEFAULT_MAX_RESPONSE_BYTES + b'"}'
    server: RawServer = serve(canned(answer(200, big)))
    with pytest.raises(ResponseFormatError) as caught:
        call(server.base_url, max_retries=0)
    assert caught.value.code == "TOO_LARGE"


def test_a_compressed_body_is_capped_as_it_inflates(serve, call: Call) -> None:
    inflated = b'{"code":"0","ok":true,"data":"' + b"A" * 4 * CAP + b'"}'
    server: RawServer = serve(canned(answer(200, gzip.compress(inflated), headers={"Content-Encoding": "gzip"})))
    assert len(gzip.compress(inflated)) < CAP // 16, "small on the wire, four times the cap once inflated"
    with pytest.raises(ResponseFormatError) as caught:
        call(server.base_url, max_response_bytes=CAP, max_retries=0)
    excerpt = caught.value.body_excerpt
    assert caught.value.code == "TOO_LARGE"
    assert excerpt is not None and excerpt.startswith('{"code":"0","ok":true,"data":"AAA')


def test_a_compressed_body_under_the_cap_is_read(serve, call: Call) -> None:
    body = b'{"code":"0","ok":true,"data":"' + b"A" * (CAP - 64) + b'"}'
    server: RawServer = serve(canned(answer(200, gzip.compress(body), headers={"Content-Encoding": "gzip"})))
    assert call(server.base_url, max_response_bytes=CAP) == "A" * (CAP - 64)


def test_a_body_at_the_cap_is_read(serve, call: Call) -> None:
    body = b'{"code":"0","ok":true,"data":"' + b"A" * (CAP - 32) + b'"}'
    server: RawServer = serve(canned(answer(200, body)))
    assert call(server.base_url, max_response_bytes=len(body)) == "A" * (CAP - 32)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"code":"0","ok":true,"data":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"code":"0","ok":true,"data":{"balance":NaN}}', "NaN"),
        (b'{"code":"0","ok":true,"data":{"balance":Infinity}}', "Infinity"),
        (b'{"code":"0","ok":true,"data":{"balance":-Infinity}}', "-Infinity"),
    ],
    ids=["deep", "nan", "infinity", "minus-infinity"],
)
def test_json_that_cannot_be_decoded_is_a_response_format_error(serve, call: Call, body: bytes, reason: str) -> None:
    server: RawServer = serve(canned(answer(200, body)))
    with pytest.raises(ResponseFormatError) as caught:
        call(server.base_url, max_retries=0)
    error = caught.value
    assert error.code == "BAD_JSON" and reason in str(error)
    assert error.trace == server.requests[0].headers["trace"]
    assert error.body_excerpt is not None and error.body_excerpt.startswith('{"code":"0","ok":true,"data":')


def test_oversized_headers_are_a_typed_error(serve, call: Call) -> None:
    server: RawServer = serve(canned(answer(200, b'{"code":"0","ok":true}', headers={"X-Big": "a" * 100_000})))
    with pytest.raises(APIConnectionError) as caught:
        call(server.base_url, max_retries=0)
    assert "not valid HTTP" in str(caught.value) and caught.value.maybe_processed
