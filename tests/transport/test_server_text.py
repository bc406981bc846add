"""The service's text (``msg``, ``code``, ``trace``, the body excerpt) enters our errors with its control
characters escaped and its length capped: printing, logging or writing an error to a report can neither forge a
line nor drive a terminal, and a huge trace does not fill a log."""

from __future__ import annotations

import json
import logging

import pytest
from transport_helpers import Call, RawServer, answer, canned

from multimarkets import APIError, BridgeClient, Credentials, ResponseFormatError
from multimarkets.envelope import _UNPRINTABLE, MAX_SERVER_MESSAGE_CHARS, MAX_SERVER_TRACE_CHARS, printable

HOSTILE = "bad\x1b[2J\x1b[31m red\r\nINFO forged line\x00\x7f\x9b\u202e"


def failing(status: int, **fields: object) -> bytes:
    return answer(status, json.dumps({"code": "US500", "msg": HOSTILE, "trace": "t-1", **fields}).encode())


def assert_printable(text: str) -> None:
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char == "\u202e" for char in text), repr(text)


@pytest.mark.parametrize("status", [200, 400, 429, 500])
def test_control_characters_in_the_message_are_escaped(serve, call: Call, status: int) -> None:
    server: RawServer = serve(canned(failing(status, trace="t-\x1b]0;title\x07")))
    with pytest.raises(APIError) as caught:
        call(server.base_url, max_retries=0)
    error = caught.value
    for text in (str(error), error.message, error.trace or "", error.body_excerpt or "", *map(str, error.args)):
        assert_printable(text)
    assert error.message.startswith("bad\\x1b[2J\\x1b[31m red\\r\\nINFO forged line\\x00\\x7f\\x9b\\u202e")
    assert error.trace == "t-\\x1b]0;title\\x07"


def test_a_long_message_and_trace_are_capped(serve, call: Call, caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps({"code": "US\n500", "msg": "m" * 5000, "trace": "t" * 5000, "bizCode": "B\x1b"}).encode()
    server: RawServer = serve(canned(answer(200, body)))
    with caplog.at_level(logging.DEBUG, logger="multimarkets"), pytest.raises(APIError) as caught:
        call(server.base_url, max_retries=0)
    error = caught.value
    assert len(error.message) == MAX_SERVER_MESSAGE_CHARS and error.message.endswith("...")
    assert error.trace is not None and len(error.trace) == MAX_SERVER_TRACE_CHARS
    assert (error.code, error.biz_code) == ("US\\n500", "B\\x1b")
    assert len(str(error)) < MAX_SERVER_MESSAGE_CHARS + MAX_SERVER_TRACE_CHARS + 200
    assert all("\n" not in record.getMessage() for record in caplog.records)


def successful(data: object, trace: str) -> bytes:
    return answer(200, json.dumps({"code": "0", "msg": "ok", "trace": trace, "data": data}).encode())


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"current": "x", "records": 5}, "BAD_DATA"),  # a success whose data has the wrong shape
        ({"current": 1, "size": 1, "total": 10**9, "records": [{"customerNo": "1"}]}, "WRONG_PAGE"),  # same page
    ],
)
def test_the_trace_of_a_successful_answer_is_made_printable(
    serve, credentials: Credentials, caplog: pytest.LogCaptureFixture, data: object, code: str
) -> None:
    # The errors raised after an HTTP 200 (wrong data, wrong page) are made outside the request loop: the trace
    # they carry must already be printable, as must the one a model or a log line gets.
    server: RawServer = serve(canned(successful(data, "t-" + HOSTILE + "A" * 3000)))
    with (
        caplog.at_level(logging.DEBUG, logger="multimarkets"),
        BridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0) as client,
        pytest.raises(ResponseFormatError) as caught,
    ):
        list(client.customers.iterate())
    error = caught.value
    assert error.code == code
    assert error.trace is not None and len(error.trace) == MAX_SERVER_TRACE_CHARS
    assert error.trace.startswith("t-bad\\x1b[2J\\x1b[31m red\\r\\nINFO forged line")
    assert_printable(str(error))
    assert all("\n" not in record.getMessage() for record in caplog.records)


def test_the_fast_path_of_printable_misses_no_escaped_character() -> None:
    # printable() returns text that str.isprintable() accepts untouched: that must hold no character it escapes.
    assert not [hex(char) for char in _UNPRINTABLE if chr(char).isprintable()]
    assert printable("t-1\u2028x\u2066", 128) == "t-1\\u2028x\\u2066"
