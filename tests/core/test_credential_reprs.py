"""The API key and the Manager app id are credentials: reprs of clients, their copies and credentials show only
their last four characters, and neither they nor the secrets reach the logs or an error of a call, against the
sandbox over loopback."""

from __future__ import annotations

import logging

import pytest

from multimarkets import (
    AsyncBridgeClient,
    BridgeClient,
    ConfigurationError,
    Credentials,
    ManagerCredentials,
    UnknownBizTypeError,
)
from multimarkets.manager import AsyncManagerClient
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def shown(*things: object) -> str:
    return "\n".join(f"{thing!r}\n{thing}" for thing in things)


async def test_bridge_reprs_logs_and_errors_show_only_the_end_of_the_api_key(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    credentials = sandbox.credentials
    caplog.set_level(logging.DEBUG, logger="multimarkets")
    async with AsyncBridgeClient(credentials, sandbox.base_url, trust_env=False, max_retries=0) as client:
        copy = client.with_options(timeout=5.0)
        await copy.catalog.currencies()
        with pytest.raises(UnknownBizTypeError) as refused:
            await client.call("no.such.Service.method", {})
        text = shown(credentials, client, copy, refused.value, *caplog.records)
    assert credentials.api_key not in text and credentials.secret_key not in text
    assert credentials.api_key[:8] not in text
    assert repr(client) == f"AsyncBridgeClient(base_url={sandbox.base_url!r}, api_key=...{credentials.api_key[-4:]})"
    assert repr(copy) == repr(client)
    assert repr(credentials).startswith(f"Credentials(api_key=...{credentials.api_key[-4:]}, secret_key=<hidden>")


def test_the_sync_client_and_its_copy_show_only_the_end_of_the_api_key(sandbox_in_thread: Sandbox) -> None:
    credentials = sandbox_in_thread.credentials
    with BridgeClient(credentials, sandbox_in_thread.base_url, trust_env=False) as client:
        text = shown(client, client.with_options(max_retries=0))
    assert credentials.api_key not in text and f"api_key=...{credentials.api_key[-4:]}" in text


async def test_manager_reprs_show_only_the_end_of_the_app_id(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    given = sandbox.manager_credentials
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    caplog.set_level(logging.DEBUG, logger="multimarkets")
    async with AsyncManagerClient(credentials, given.base_url, trust_env=False) as client:
        await client.customers.list()
        text = shown(credentials, client, client.with_options(max_retries=0), *caplog.records)
    assert given.app_id not in text and given.app_secret not in text
    assert f"app_id=...{given.app_id[-4:]}" in repr(client) and f"app_id=...{given.app_id[-4:]}" in repr(credentials)


def test_a_short_key_shows_nothing_of_itself() -> None:
    assert repr(Credentials("k-42", "not-parsed-here", "7")).startswith("Credentials(api_key=..., ")


PASSWORD = "Passw0rdInUrl"


@pytest.mark.parametrize(
    "base_url",
    [
        f"http://gw:{PASSWORD}@127.0.0.1:1/webhook",
        f"https://:{PASSWORD}@gw.example/webhook",
        f"http://{PASSWORD}@gw.example",
        f"gw:{PASSWORD}@gw.example/webhook",  # no scheme: refused for that, without echoing what may be a password
    ],
)
def test_a_base_url_with_credentials_is_refused_without_showing_them(base_url: str) -> None:
    # Neither API takes credentials in the URL; kept, they would show in reprs, errors, the CLI and reports.
    bridge = Credentials("k" * 32, "unused", "1")
    manager = ManagerCredentials("app-id", "app-secret")
    for make in (
        lambda: AsyncBridgeClient(bridge, base_url, trust_env=False),
        lambda: BridgeClient(bridge, base_url, trust_env=False),
        lambda: AsyncManagerClient(manager, base_url, trust_env=False),
    ):
        with pytest.raises(ConfigurationError) as refused:
            make()
        assert PASSWORD not in str(refused.value)
    assert "base_url" in str(refused.value)
