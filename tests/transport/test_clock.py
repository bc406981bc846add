"""One bad answer cannot drag the clock: only valid envelopes teach it, a little at a time, unless the service
rejected our timestamp (00012002)."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import pytest
from transport_helpers import Call, RawRequest, RawServer, answer, envelope

from multimarkets import ResponseFormatError

YEAR_2090 = "Sun, 01 Jan 2090 00:00:00 GMT"
HOUR_MS = 3_600_000


def ahead_ms(request: RawRequest) -> int:
    """How far the request's timestamp was ahead of the moment it arrived."""
    return int(request.headers["timestamp"]) - request.received_ms


def script(*responses: bytes):  # type: ignore[no-untyped-def]
    """Answer the n-th request with the n-th response (the last one repeats)."""
    sent = 0

    async def respond(_: RawRequest, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(responses[min(sent, len(responses) - 1)])
        sent += 1
        await writer.drain()

    return respond


def test_a_date_in_2090_on_valid_answers_moves_the_clock_only_a_little(serve, call: Call) -> None:
    server: RawServer = serve(script(answer(200, envelope("ok"), headers={"Date": YEAR_2090})))
    for _ in range(3):
        call(server.base_url)
    assert all(abs(ahead_ms(r)) < 5_000 for r in server.requests), [ahead_ms(r) for r in server.requests]


def test_answers_that_are_not_envelopes_never_move_the_clock(serve, call: Call) -> None:
    page = answer(200, b"<html>firewall</html>", headers={"Date": YEAR_2090, "Content-Type": "text/html"})
    server: RawServer = serve(script(*[page] * 10, answer(200, envelope("ok"))))
    for _ in range(10):
        with pytest.raises(ResponseFormatError):
            call(server.base_url, max_retries=0)
    call(server.base_url)
    assert len(server.requests) == 11
    assert abs(ahead_ms(server.requests[-1])) < 5_000, "ten bad answers must not add up"


def test_a_rejected_timestamp_corrects_the_clock_at_once_both_ways(serve, call: Call) -> None:
    def dated(body: bytes, offset_ms: int) -> bytes:
        return answer(200, body, headers={"Date": formatdate((time.time() * 1000 + offset_ms) / 1000, usegmt=True)})

    rejected = envelope(code="00012002")
    server: RawServer = serve(
        script(dated(rejected, HOUR_MS), dated(envelope("ok"), HOUR_MS), dated(rejected, 0), dated(envelope("ok"), 0))
    )
    call(server.base_url)
    assert abs(ahead_ms(server.requests[1]) - HOUR_MS) < 5_000, "the retry carries the server's time"
    call(server.base_url)
    assert abs(ahead_ms(server.requests[2]) - HOUR_MS) < 5_000, "and so does the next call"
    assert abs(ahead_ms(server.requests[3])) < 5_000, "until the service rejects it again"
