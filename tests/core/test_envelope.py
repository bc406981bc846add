"""Every shape of answer becomes data or a typed error carrying status, trace and an excerpt."""

import json

import pytest

from multimarkets import (
    APIError,
    CustomerExistsError,
    IPBannedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    SignatureError,
)
from multimarkets.envelope import unwrap

TRACE = "t-abc-1"


def envelope(**fields: object) -> bytes:
    base: dict[str, object] = {"code": "0", "msg": "Success", "ok": True, "fail": False, "trace": "t-server-1", "tm": 5}
    base.update(fields)
    return json.dumps(base).encode()


def test_success_returns_data_and_the_server_trace() -> None:
    data, trace = unwrap(envelope(data="86000001"), http_status=200, request_trace=TRACE)
    assert data == "86000001"
    assert trace == "t-server-1"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_a_body_in_any_json_encoding_or_with_whitespace_around_it_is_read(encoding: str) -> None:
    body = ' \r\n {"code": "0", "data": "\u00e9t\u00e9"} \n'.encode(encoding)
    assert unwrap(body, http_status=200) == ("\u00e9t\u00e9", None)


def test_documented_string_true_is_returned_as_is() -> None:
    assert unwrap(envelope(data="true"), http_status=200)[0] == "true"


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        ("00012001", SignatureError),
        ("USCUSTOMER_API_0000106", CustomerExistsError),
        ("00012005", RateLimitError),
        ("G500", ServerError),
        ("SOMETHING_NEW", APIError),
    ],
)
def test_error_codes_map_to_classes(code: str, error_class: type[APIError]) -> None:
    with pytest.raises(error_class) as info:
        unwrap(envelope(code=code, ok=False, fail=True, msg="nope"), http_status=200, biz_type="x.y")
    assert type(info.value) is error_class
    assert info.value.code == code
    assert info.value.trace == "t-server-1"
    assert info.value.http_status == 200
    assert "x.y" in str(info.value)


def test_code_zero_with_ok_false_is_an_error() -> None:
    with pytest.raises(APIError):
        unwrap(envelope(ok=False), http_status=200)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "EMPTY_BODY"),
        (b'{"code":"0","ok":tr', "BAD_JSON"),
        (b'{"hello": "world"}', "NOT_ENVELOPE"),
        (b"[1, 2]", "NOT_ENVELOPE"),
        (b'{"code":"0","ok":true}{"code":"0"}', "BAD_JSON"),  # two objects: the first is not the answer
        (b'{"code":"0","ok":true,"data":"\xff"}', "BAD_JSON"),  # not UTF-8
    ],
)
def test_broken_200_bodies_raise_response_format_error(raw: bytes, code: str) -> None:
    with pytest.raises(ResponseFormatError) as info:
        unwrap(raw, http_status=200, request_trace=TRACE)
    assert info.value.code == code
    assert info.value.trace == TRACE
    assert info.value.http_status == 200


def test_html_firewall_page_is_a_format_error_with_excerpt() -> None:
    page = b"<html><head><title>403 Forbidden</title></head><body>" + b"x" * 500 + b"</body></html>"
    with pytest.raises(ResponseFormatError) as info:
        unwrap(page, http_status=403, request_trace=TRACE)
    assert info.value.http_status == 403
    assert info.value.body_excerpt is not None
    assert info.value.body_excerpt.startswith("<html><head><title>403 Forbidden")
    assert len(info.value.body_excerpt) < 220


def test_429_carries_retry_after() -> None:
    with pytest.raises(RateLimitError) as info:
        unwrap(b"Too Many Requests", http_status=429, retry_after=3.0)
    assert info.value.retry_after == 3.0


def test_418_is_a_ban() -> None:
    with pytest.raises(IPBannedError):
        unwrap(b"", http_status=418)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_with_or_without_envelope_is_server_error(status: int) -> None:
    for raw in (b"Bad Gateway", envelope(code="G500", ok=False, msg="System error")):
        with pytest.raises(ServerError) as info:
            unwrap(raw, http_status=status)
        assert info.value.http_status == status
