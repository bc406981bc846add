"""A server that echoes our request in its answer (its ``msg``, an HTML page, a cut body) does not put a secret we
sent into the errors we raise, their chain, the logs or a bulk report: the signature header, the API key, a
registration's password hash, exchange keys; for the Manager API the token, the body's MD5 signature and the
auth call's appSecret. Each appears as ``<redacted>`` instead; the error keeps its type and code."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import traceback
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pytest
from transport_helpers import RawRequest, RawServer, Respond, answer

from multimarkets import (
    AsyncBridgeClient,
    AsyncManagerClient,
    AuthenticationError,
    Credentials,
    ManagerCredentials,
    MultiMarketsError,
    ResponseFormatError,
    ServerError,
    SignatureError,
)
from multimarkets._convert import wire_name
from multimarkets._redact import CUT_START, SECRET_FIELDS
from multimarkets.manager import models as manager_models
from multimarkets.models import accounts, catalog, customers, trading, webhooks

AUTH = "admin.admin.CompanyAuthDubboService.auth"
TOKEN = "manager-token-0f3c9a7e5d1b"
APP = ManagerCredentials("app-id-7cb9164942caec70", "app-secret-33171f3e91c45e0d")
SIGNATURE = "c2ln/bmF0dXJl+LW1hcmtlci1lY2hvZWQtYmFjaw=="  # a "/": servers may escape it as "\/"


class MarkerSigner:
    def sign(self, body: Mapping[str, Any] | None, timestamp: int) -> str:
        return SIGNATURE


def envelope(code: str, msg: str, data: Any = None) -> bytes:
    body = json.dumps({"code": code, "msg": msg, "ok": code == "0", "fail": code != "0", "data": data})
    return body.replace("/", "\\/").encode()  # as PHP and some Java encoders write it


def echo(code: str = "00012001", status: int = 200, auth: bool = True) -> Respond:
    """Refuse every call with ``code``, quoting the body and every header value; the Manager auth call succeeds
    unless ``auth`` is false."""

    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if auth and request.target.endswith(AUTH):
            writer.write(answer(200, envelope("0", "Success", {"token": TOKEN, "id": 439})))
            return
        told = " ".join([request.body.decode(), *request.headers.values()])
        writer.write(answer(status, envelope(code, f"refused, you sent: {told}")))

    return respond


def sent_secrets(requests: list[RawRequest]) -> set[str]:
    """The secret values the server received."""
    found = set()
    for request in requests:
        found |= {request.headers[name] for name in ("signature", "apikey", "token") if name in request.headers}
        body = json.loads(request.body)
        secret = ("pwd", "accountApiKey", "accountSecretKey", "appSecret", "signature", "appId")
        found |= {body[name] for name in secret if name in body}
    return found


def shown(error: BaseException, secrets: set[str]) -> set[str]:
    printed = "".join(traceback.format_exception(error)) + repr(error) + str(error) + repr(vars(error))
    return {secret for secret in secrets if secret in printed}


def raised(coro: Any) -> MultiMarketsError:
    with pytest.raises(MultiMarketsError) as caught:
        asyncio.run(coro)
    return caught.value


async def register_and_add(base_url: str, credentials: Credentials) -> None:
    async with AsyncBridgeClient(credentials, base_url, rate_limit=None, max_retries=0, signer=MarkerSigner()) as c:
        try:
            await c.customers.register(email="a@example.com", password="hunter2", country="GB", register_source=1)
        finally:
            await add_account(c)


async def add_account(
    client: AsyncBridgeClient,
    exchange_code: str = "binance",
    passphrase: str | None = None,
    secret_key: str = "exchange-secret-key-77aa",
) -> None:
    await client.accounts.add(
        "86000001",
        exchange_code=exchange_code,
        account_type="spot",
        account_name="main",
        api_key="exchange-api-key-8d1e",
        secret_key=secret_key,
        passphrase=passphrase,
    )


@pytest.mark.parametrize(("code", "status", "kind"), [("00012001", 200, SignatureError), ("G500", 500, ServerError)])
def test_bridge_errors_quote_no_secret_the_server_echoed(
    serve, credentials: Credentials, code: str, status: int, kind: type[MultiMarketsError]
) -> None:
    server: RawServer = serve(echo(code, status))
    error = raised(register_and_add(server.base_url, credentials))
    secrets = sent_secrets(server.requests)
    assert {SIGNATURE, credentials.api_key, "exchange-secret-key-77aa"} <= secrets and len(server.requests) == 2
    assert isinstance(error, kind) and error.code == code
    assert isinstance(error.__context__, kind), "the registration's error, chained"
    for each in (error, error.__context__):
        assert shown(each, secrets) == set()
        assert "<redacted>" in str(each) and "refused, you sent" in str(each)
        assert each.body_excerpt is not None and "<redacted>" in each.body_excerpt  # type: ignore[attr-defined]


def test_a_body_cut_inside_a_secret_shows_no_part_of_it(serve, credentials: Credentials) -> None:
    async def cut(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(200, b"x" * 190 + request.headers["signature"].encode()))

    server: RawServer = serve(cut)
    error = raised(register_and_add(server.base_url, credentials))
    assert isinstance(error, ResponseFormatError) and error.body_excerpt is not None
    assert error.body_excerpt == "x" * 190 + "..." and SIGNATURE[:10] not in str(error)


def test_a_bulk_run_logs_and_reports_no_echoed_secret(
    serve, credentials: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    server: RawServer = serve(echo())
    results = []

    async def run() -> Any:
        async with AsyncBridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0) as client:
            rows = [{"email": "b@example.com", "password": "hunter2", "country": "GB", "register_source": 1}]
            return await client.customers.register_many(rows, on_result=results.append, reconcile=False)

    with caplog.at_level(logging.DEBUG, logger="multimarkets"):
        report = asyncio.run(run())
    secrets = sent_secrets(server.requests)
    assert isinstance(report.stopped_by, SignatureError) and "bulk run stopped" in caplog.text
    assert {secret for secret in secrets if secret in caplog.text} == set()
    assert {secret for secret in secrets if any(secret in str(r.report_row()) for r in results)} == set()
    assert "<redacted>" in caplog.text


async def manager_register(base_url: str) -> None:
    async with AsyncManagerClient(APP, base_url, rate_limit=None, max_retries=0, trust_env=False) as client:
        await client.customers.register(email="c@example.com", password="hunter2", country="GB", accounts={1: "USDT"})


@pytest.mark.parametrize(("auth", "kind"), [(True, SignatureError), (False, AuthenticationError)])
def test_manager_errors_quote_no_secret_the_server_echoed(serve, auth: bool, kind: type[MultiMarketsError]) -> None:
    server: RawServer = serve(echo("00012001" if auth else "00012003", auth=auth))
    error = raised(manager_register(server.base_url))
    secrets = sent_secrets(server.requests)
    assert isinstance(error, kind)
    assert APP.app_secret in secrets and (TOKEN in secrets) is auth and any(len(s) == 32 for s in secrets) is auth
    assert shown(error, secrets) == set()
    assert "<redacted>" in str(error) and "<redacted>" in str(error.body_excerpt)  # type: ignore[attr-defined]


def test_every_request_field_kept_out_of_reprs_is_redacted() -> None:
    """A secret a request model hides from its repr is one an echo must not show either."""
    hidden = set()
    for module in (accounts, catalog, customers, trading, webhooks, manager_models):
        for cls in vars(module).values():
            if isinstance(cls, type) and attrs.has(cls) and cls.__name__.endswith("Request"):
                hidden |= {wire_name(field) for field in attrs.fields(cls) if not field.repr}
    assert hidden and hidden <= SECRET_FIELDS


def test_a_short_secret_is_redacted_where_it_stands_alone_not_inside_every_word(
    serve, credentials: Credentials
) -> None:
    """An OKX passphrase of one letter: its echo is redacted, the rest of the message stays readable."""

    async def refuse(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        passphrase = json.loads(request.body)["passphrase"]
        writer.write(
            answer(200, envelope("00012001", f"the exchange refused passphrase {passphrase!r} (see {passphrase})"))
        )

    async def add_okx_account() -> None:
        async with AsyncBridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0) as client:
            await add_account(client, "okx", passphrase="e")

    server: RawServer = serve(refuse)
    error = raised(add_okx_account())
    assert isinstance(error, SignatureError) and error.code == "00012001"
    assert error.message == "the exchange refused passphrase '<redacted>' (see <redacted>)"
    assert "the exchange refused passphrase '<redacted>' (see <redacted>)" in str(error.body_excerpt)  # type: ignore[attr-defined]


def okx_account_refused_quoting(
    serve: Any, credentials: Credentials, passphrase: str, secret_key: str, quoted: Callable[[bytes], str]
) -> MultiMarketsError:
    """The error of adding an OKX account with these secrets, refused by a server whose message is
    ``quoted(request body)``."""

    async def refuse(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(200, envelope("00012001", quoted(request.body))))

    async def add_okx_account() -> None:
        async with AsyncBridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0) as client:
            await add_account(client, "okx", passphrase=passphrase, secret_key=secret_key)

    server: RawServer = serve(refuse)
    error = raised(add_okx_account())
    assert isinstance(error, SignatureError) and "accountName" in error.message
    return error


@pytest.mark.parametrize(
    "encode",
    [urllib.parse.urlencode, lambda body: urllib.parse.urlencode(body, quote_via=urllib.parse.quote)],
    ids=["form-encoded", "percent-encoded"],
)
def test_a_secret_echoed_url_encoded_is_redacted(serve, credentials: Credentials, encode: Any) -> None:
    """A gateway quoting the request as a query string: ``p@ss w/`` arrives as ``p%40ss+w%2F``."""
    passphrase, secret_key = "p@ss w/", "exchange/secret+key=77aa"  # not on the line the traceback quotes
    error = okx_account_refused_quoting(
        serve, credentials, passphrase, secret_key, lambda body: f"refused: {encode(json.loads(body))}"
    )
    assert "passphrase=<redacted>" in error.message and "accountSecretKey=<redacted>" in error.message
    for secret in (passphrase, secret_key):
        encoded = {urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
        assert shown(error, encoded | {secret}) == set()


@pytest.mark.parametrize("quote", [True, False], ids=["quotes-escaped", "quotes-kept"])
def test_a_secret_echoed_html_escaped_is_redacted(serve, credentials: Credentials, quote: bool) -> None:
    """An error page quoting the request: ``a&b<"c'>`` arrives as ``a&amp;b&lt;&quot;c&#x27;&gt;``."""
    passphrase, secret_key = "a&b<\"c'>", "exchange&secret<key>77aa"
    error = okx_account_refused_quoting(
        serve, credentials, passphrase, secret_key, lambda body: f"<pre>{html.escape(body.decode(), quote=quote)}</pre>"
    )
    for secret in (passphrase, secret_key):
        escaped = {html.escape(secret, quote=quote), html.escape(json.dumps(secret)[1:-1], quote=quote)}
        assert shown(error, escaped | {secret}) == set()


@pytest.mark.parametrize("ascii_only", [True, False], ids=["ascii", "utf-8"])
def test_a_secret_echoed_in_json_inside_json_is_redacted(serve, credentials: Credentials, ascii_only: bool) -> None:
    """A server quoting the request body as a JSON string inside its JSON message escapes it twice: ``"``
    arrives as ``\\\\\\"``, ``\\`` as ``\\\\\\\\``, ``é`` as ``\\\\u00e9``."""
    passphrase, secret_key = 'pa"ss\\é/', 'exchange"secret\\key/ключ'
    error = okx_account_refused_quoting(
        serve,
        credentials,
        passphrase,
        secret_key,
        lambda body: "refused: " + json.dumps({"body": body.decode()}, ensure_ascii=ascii_only),
    )
    assert '\\"accountSecretKey\\":\\"<redacted>\\"' in error.message
    for secret in (passphrase, secret_key):
        once = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        assert shown(error, {secret, once, json.dumps(once, ensure_ascii=ascii_only)[1:-1]}) == set()


def test_a_secret_echoed_upper_cased_or_cut_short_is_redacted(serve, credentials: Credentials) -> None:
    """A server quoting the request upper-cased (an MD5 in hex reads the same), or only the first characters of
    each header value: no start of a long secret as long as :data:`CUT_START` is shown, in any case."""

    async def quote_badly(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        cut = " ".join(f"{name}={value[:20]}... {value[:CUT_START]}" for name, value in request.headers.items())
        msg = f"refused {request.body.decode().upper()} {cut.upper()} {cut}"
        writer.write(answer(500, envelope("G500", msg)))

    server: RawServer = serve(quote_badly)
    error = raised(register_and_add(server.base_url, credentials))
    secrets = sent_secrets(server.requests)
    assert isinstance(error, ServerError) and "refused" in error.message and "<redacted>" in error.message
    starts = {form(secret[:length]) for secret in secrets for length in (CUT_START, 20) for form in (str, str.upper)}
    printed = "".join(traceback.format_exception(error)) + repr(error) + repr(vars(error))
    assert {start for start in starts if start in printed} == set()
    assert "TIMESTAMP=" in error.message, "what is no secret stays readable"
