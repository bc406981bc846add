"""Values that travel as HTTP headers are checked before anything is sent: credentials when they are made
(ConfigurationError, never quoting the value), a ``call()``'s group and body before the call (ValidationError),
a Manager token from the auth answer when it comes (ResponseFormatError with the auth call's trace). aiohttp
would refuse a control character with a bare ValueError at send time."""

from __future__ import annotations

import asyncio
import json

import pytest
from transport_helpers import PAGE, RawRequest, RawServer, answer, canned, envelope

from multimarkets import (
    AsyncBridgeClient,
    AsyncManagerClient,
    BridgeClient,
    ConfigurationError,
    Credentials,
    ManagerCredentials,
    ResponseFormatError,
    ValidationError,
)

KEY = "k-0123456789abcdef"
BAD = ["", " k-0123456789abcdef", "k-0123456789abcdef\r", "k-0123\r\nX-Injected: 1", "k-01\x00", "k-\x1b[31m", "k\x85x"]


@pytest.mark.parametrize("api_key", BAD)
def test_an_api_key_that_cannot_be_a_header_fails_at_construction_without_showing_it(api_key: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^Credentials\.api_key ") as caught:
        Credentials(api_key, "secret", "7")
    if api_key.strip():
        assert api_key.strip() not in str(caught.value)


@pytest.mark.parametrize("company_id", ["", "7\r\n", "1\r\nX: y", " 7", "7\t"])
def test_a_company_id_that_cannot_be_a_header_fails_at_construction(company_id: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^Credentials\.company_id "):
        Credentials(KEY, "secret", company_id)


def test_an_empty_secret_key_fails_at_construction_and_a_pem_one_is_accepted() -> None:
    with pytest.raises(ConfigurationError, match="secret_key is empty"):
        Credentials(KEY, "  \n", "7")
    pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
    assert Credentials(KEY, pem, 7).company_id == "7"


@pytest.mark.parametrize("group", ["tradeApi\r\nX-Injected: 1", "", "trade api", "ключ", "x" * 65, "a\x00"])
def test_a_group_that_cannot_be_a_header_is_refused_before_sending(serve, credentials: Credentials, group: str) -> None:
    server: RawServer = serve(canned(answer(200, envelope({}))))
    with BridgeClient(credentials, server.base_url, rate_limit=None) as client:
        with pytest.raises(ValidationError, match=r"^group: ") as caught:
            client.call(PAGE, {}, group=group)
        assert caught.value.field == "group"
        assert client.call(PAGE, {}, group="tradeApi") == {}  # a usual group goes through
    assert len(server.requests) == 1


@pytest.mark.parametrize("body", [[1, 2], [("pageNo", 1)], "pageNo=1", 7])
def test_a_call_body_that_is_not_a_mapping_is_refused_before_sending(serve, credentials: Credentials, body) -> None:
    server: RawServer = serve(canned(answer(200, envelope({}))))

    async def run() -> None:
        async with AsyncBridgeClient(credentials, server.base_url, rate_limit=None) as client:
            with pytest.raises(ValidationError, match=r"^body: must be a mapping .* got "):
                await client.call(PAGE, body)
        async with AsyncManagerClient(ManagerCredentials("app", "secret"), server.base_url, rate_limit=None) as manager:
            with pytest.raises(ValidationError, match=r"^body: "):
                await manager.call(PAGE, body)

    asyncio.run(run())
    assert server.requests == []


def test_a_manager_token_that_cannot_be_a_header_is_a_response_format_error(serve) -> None:
    token = "T0kenSecretValue123\r\nX-Injected: 1"

    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        data = {"token": token, "id": 7} if "/auth/" in request.target else {}
        body = json.dumps({"code": "0", "msg": "ok", "ok": True, "trace": "t-auth-1", "data": data}).encode()
        writer.write(answer(200, body))
        await writer.drain()

    server: RawServer = serve(respond)

    async def run() -> None:
        async with AsyncManagerClient(ManagerCredentials("app", "secret"), server.base_url, rate_limit=None) as manager:
            with pytest.raises(ResponseFormatError) as caught:
                await manager.call(PAGE, {}, idempotent=True)
            assert caught.value.trace == "t-auth-1"
            assert caught.value.code == "BAD_DATA"
            assert "$.token" in str(caught.value)
            assert "T0ken" not in str(caught.value)

    asyncio.run(run())
    assert [request.target.rpartition("/")[0].endswith("/auth") for request in server.requests] == [True]


@pytest.mark.parametrize("lang", ["zh\r\nX-Injected: 1", "", " en", "en\t", "zh\x00"])
def test_a_lang_that_cannot_be_a_header_fails_at_construction(credentials: Credentials, lang: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^lang "):
        BridgeClient(credentials, "http://127.0.0.1:1", lang=lang)


def test_a_body_with_a_lone_surrogate_is_refused_before_sending(serve, credentials: Credentials) -> None:
    server: RawServer = serve(canned(answer(200, envelope({}))))
    with BridgeClient(credentials, server.base_url, rate_limit=None, lang="zh-CN") as client:
        with pytest.raises(ValidationError, match=r"^body: .*surrogate") as caught:
            client.call(PAGE, {"a": "\ud800"})
        assert caught.value.field == "body"
        assert client.call(PAGE, {"a": "\U0001f600"}) == {}  # a whole pair goes through
    assert [request.headers.get("lang") for request in server.requests] == ["zh-CN"]

    async def manager() -> None:
        async with AsyncManagerClient(ManagerCredentials("app", "secret"), server.base_url, rate_limit=None) as client:
            await client.call("any.call", {"a": "x\udfff"})

    with pytest.raises(ValidationError, match=r"^body: .*surrogate"):
        asyncio.run(manager())


@pytest.mark.parametrize("company_id", [None, 7.0, True])
def test_a_company_id_that_is_neither_text_nor_int_fails_at_construction(company_id: object) -> None:
    # str() would have made None "None": sent as the company id, refused by the service on every call.
    with pytest.raises(ConfigurationError, match=r"^Credentials\.company_id is not a string"):
        Credentials(KEY, "secret", company_id)


@pytest.mark.parametrize("app_id", [*BAD, 12345678901234])
def test_a_manager_app_id_is_checked_like_an_api_key_without_showing_it(app_id: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^ManagerCredentials\.app_id ") as caught:
        ManagerCredentials(app_id, "secret")
    if isinstance(app_id, str) and app_id.strip():
        assert app_id.strip() not in str(caught.value)


@pytest.mark.parametrize("app_secret", ["", " \n", None])
def test_an_empty_manager_app_secret_fails_at_construction(app_secret: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^ManagerCredentials\.app_secret is empty"):
        ManagerCredentials("app", app_secret)
