"""Proxies, TLS trust, the environment, a connector and tracing hooks, against real parts on loopback: a
forward proxy that records what passed through it and the sandbox behind a TLS front with a CA of our own."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from network_helpers import Authority, ForwardProxy, TlsFront
from transport_helpers import PAGE, Call

from multimarkets import (
    APIConnectionError,
    AsyncBridgeClient,
    BridgeClient,
    CertificateError,
    ConfigurationError,
    Credentials,
    ProxyAuthenticationError,
    RateLimit,
)
from multimarkets.sandbox import Sandbox

USER, PASSWORD = "egress", "s3cret:pw@x"
pytestmark = pytest.mark.usefixtures("no_proxy_from_outside")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox.in_thread(rate_limit=RateLimit(1000, 1.0)) as sb:
        yield sb


@pytest.fixture
def tls(authority: Authority, sandbox: Sandbox) -> Iterator[TlsFront]:
    front = TlsFront(authority.server_context, sandbox.port)
    yield front
    front.stop()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    server = ForwardProxy(USER, PASSWORD)
    yield server
    server.stop()


def requests_seen(sandbox: Sandbox) -> int:
    return int(sandbox.stats()["requests"])


def test_tls_verified_against_a_ca_file(call: Call, sandbox: Sandbox, tls: TlsFront, authority: Authority) -> None:
    before = requests_seen(sandbox)
    page = call(tls.base_url, credentials=sandbox.credentials, ssl=str(authority.ca_file))
    assert "total" in page and requests_seen(sandbox) == before + 1


def test_an_ssl_context_is_used_as_given(call: Call, sandbox: Sandbox, tls: TlsFront, authority: Authority) -> None:
    context = ssl.create_default_context(cafile=authority.ca_file)
    assert "total" in call(tls.base_url, credentials=sandbox.credentials, ssl=context)


def test_an_unknown_ca_fails_verification_and_sends_nothing(call: Call, sandbox: Sandbox, tls: TlsFront) -> None:
    before = requests_seen(sandbox)
    with pytest.raises(CertificateError) as caught:
        call(tls.base_url, credentials=sandbox.credentials, max_retries=2)
    assert isinstance(caught.value, APIConnectionError)
    assert "certificate" in str(caught.value) and not caught.value.maybe_processed
    assert caught.value.attempts == 1, "a certificate is configuration: repeating meets the same one"
    assert requests_seen(sandbox) == before


def test_verification_is_off_only_by_name(call: Call, sandbox: Sandbox, tls: TlsFront) -> None:
    assert "total" in call(tls.base_url, credentials=sandbox.credentials, insecure_skip_verify=True)
    with pytest.raises(ConfigurationError, match="insecure_skip_verify"):
        AsyncBridgeClient(sandbox.credentials, tls.base_url, ssl=False)  # type: ignore[arg-type]


def test_every_call_goes_through_the_proxy_with_its_credentials(
    call: Call, sandbox: Sandbox, proxy: ForwardProxy
) -> None:
    before = requests_seen(sandbox)
    proxy_url = f"http://{USER}:s3cret%3Apw%40x@127.0.0.1:{proxy.port}"
    call(sandbox.base_url, credentials=sandbox.credentials, proxy=proxy_url, times=3)
    assert requests_seen(sandbox) == before + 3
    assert [p.target for p in proxy.passed] == [f"{sandbox.base_url}/global/{PAGE}"] * 3
    assert all(p.proxy_authorization and p.proxy_authorization.startswith("Basic ") for p in proxy.passed)


def test_https_through_the_proxy_tunnels_with_verification_on(
    call: Call, sandbox: Sandbox, proxy: ForwardProxy, tls: TlsFront, authority: Authority
) -> None:
    proxy_url = f"http://{USER}:s3cret%3Apw%40x@127.0.0.1:{proxy.port}"
    call(tls.base_url, credentials=sandbox.credentials, proxy=proxy_url, ssl=authority.ca_file, times=2)
    assert {(p.method, p.target) for p in proxy.passed} == {("CONNECT", f"127.0.0.1:{tls.port}")}


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_wrong_proxy_credentials_are_named_and_never_retried(
    call: Call, sandbox: Sandbox, proxy: ForwardProxy, tls: TlsFront, authority: Authority, scheme: str
) -> None:
    # https: the proxy refuses the CONNECT; http: it answers the forwarded request itself.
    base_url = tls.base_url if scheme == "https" else sandbox.base_url
    with pytest.raises(ProxyAuthenticationError) as caught:
        call(
            base_url,
            credentials=sandbox.credentials,
            proxy=f"http://{USER}:wrong-pw@127.0.0.1:{proxy.port}",
            ssl=authority.ca_file if scheme == "https" else None,
            max_retries=2,
        )
    assert isinstance(caught.value, APIConnectionError) and not caught.value.maybe_processed
    assert "HTTP 407 Proxy Authentication Required" in str(caught.value) and "proxy authentication" in str(caught.value)
    assert "wrong-pw" not in str(caught.value) and "wrong-pw" not in repr(caught.value)
    assert proxy.refused == 1 and proxy.passed == [] and caught.value.attempts == 1


def test_a_proxy_that_refuses_the_credentials_stops_a_bulk_run(sandbox: Sandbox, proxy: ForwardProxy) -> None:
    rows = [{"email": f"p{i}@example.com", "password": "pw", "country": "CN", "register_source": 1} for i in range(3)]
    wrong = f"http://{USER}:wrong-pw@127.0.0.1:{proxy.port}"
    with BridgeClient(sandbox.credentials, sandbox.base_url, proxy=wrong, rate_limit=None) as client:
        report = client.customers.register_many(rows, concurrency=1)
    assert isinstance(report.stopped_by, ProxyAuthenticationError)
    assert (report.not_attempted, report.failed, proxy.refused) == (3, 0, 1)


def test_a_certificate_that_does_not_verify_stops_a_bulk_run(sandbox: Sandbox, tls: TlsFront) -> None:
    rows = [{"email": f"c{i}@example.com", "password": "pw", "country": "CN", "register_source": 1} for i in range(3)]
    with BridgeClient(sandbox.credentials, tls.base_url, rate_limit=None) as client:
        report = client.customers.register_many(rows, concurrency=1)
    assert isinstance(report.stopped_by, CertificateError)
    assert (report.not_attempted, report.failed) == (3, 0)


def test_a_proxy_variable_without_a_scheme_is_named(credentials: Credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "127.0.0.1:3128")

    async def use() -> None:
        async with AsyncBridgeClient(credentials, "https://example.invalid/webhook") as client:
            await client.call(PAGE, {})

    with pytest.raises(ConfigurationError, match=r"^HTTPS_PROXY in the environment: proxy must be an http://"):
        asyncio.run(use())


def test_trust_env_follows_https_proxy_and_no_proxy(
    call: Call, sandbox: Sandbox, tls: TlsFront, authority: Authority, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_proxy = ForwardProxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", open_proxy.url)
        call(tls.base_url, credentials=sandbox.credentials, ssl=authority.ca_file)
        assert [p.method for p in open_proxy.passed] == ["CONNECT"]

        call(tls.base_url, credentials=sandbox.credentials, ssl=authority.ca_file, trust_env=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        call(tls.base_url, credentials=sandbox.credentials, ssl=authority.ca_file)
        assert len(open_proxy.passed) == 1, "trust_env=False and NO_PROXY both bypass the proxy"
    finally:
        open_proxy.stop()


def test_trust_env_trusts_ssl_cert_file(
    call: Call, sandbox: Sandbox, tls: TlsFront, authority: Authority, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert "total" in call(tls.base_url, credentials=sandbox.credentials)


def test_the_connector_comes_from_the_factory_and_is_closed_with_the_client(call: Call, sandbox: Sandbox) -> None:
    made: list[aiohttp.BaseConnector] = []

    def factory() -> aiohttp.BaseConnector:
        made.append(aiohttp.TCPConnector(limit=1))
        return made[-1]

    call(sandbox.base_url, credentials=sandbox.credentials, connector_factory=factory, times=2)
    assert len(made) == 1 and made[0].closed


def test_trace_configs_see_every_request(call: Call, sandbox: Sandbox) -> None:
    seen: list[str] = []

    async def on_request_end(_: Any, __: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        seen.append(f"{params.method} {params.url.path} {params.response.status}")

    hooks = aiohttp.TraceConfig()
    hooks.on_request_end.append(on_request_end)
    call(sandbox.base_url, credentials=sandbox.credentials, trace_configs=[hooks], times=2)
    assert seen == [f"POST /webhook/global/{PAGE} 200"] * 2


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"proxy": "ftp://user:hunter2@proxy:21"}, "proxy"),
        ({"proxy": "not a url at all :::"}, "proxy"),
        ({"ssl": "/no/such/ca.pem"}, "CA file"),
        ({"ssl": True}, "insecure_skip_verify"),
        ({"ssl": Path(__file__), "insecure_skip_verify": True}, "not both"),
    ],
)
def test_bad_network_options_are_refused_when_the_client_is_built(
    credentials: Credentials, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named) as caught:
        AsyncBridgeClient(credentials, "https://example.invalid/webhook", **options)
    assert "hunter2" not in str(caught.value)


def test_a_missing_ssl_cert_file_is_named(credentials: Credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/no/such/bundle.pem")
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        AsyncBridgeClient(credentials, "https://example.invalid/webhook")
    AsyncBridgeClient(credentials, "https://example.invalid/webhook", trust_env=False)


def test_a_factory_that_makes_no_connector_is_named_on_first_use(credentials: Credentials) -> None:
    async def use() -> None:
        async with AsyncBridgeClient(credentials, "http://127.0.0.1:9/webhook", connector_factory=dict) as client:  # type: ignore[arg-type]
            await client.call(PAGE, {})

    with pytest.raises(ConfigurationError, match="connector_factory"):
        asyncio.run(use())
