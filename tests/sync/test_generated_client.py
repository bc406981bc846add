"""The generated client's own members (``__repr__``, ``close``, the context manager) against a sandbox."""

from __future__ import annotations

import pytest

from multimarkets import BridgeClient, ClientClosedError
from multimarkets.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox(sandbox_in_thread: Sandbox) -> Sandbox:
    return sandbox_in_thread


def test_repr_names_the_sync_class(sandbox: Sandbox) -> None:
    with BridgeClient(sandbox.credentials, sandbox.base_url) as client:
        assert repr(client).startswith(f"BridgeClient(base_url={sandbox.base_url!r}")


def test_close_ends_the_client_and_later_calls_raise(sandbox: Sandbox) -> None:
    client = BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None)
    assert client.catalog.currencies()
    client.close()
    client.close()  # idempotent
    with pytest.raises(ClientClosedError, match="closed"):
        client.catalog.currencies()
    with BridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=None) as other:
        assert other.catalog.currencies()
    with pytest.raises(ClientClosedError, match="closed"):
        other.catalog.currencies()
