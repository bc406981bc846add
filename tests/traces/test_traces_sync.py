"""The sync clients' request ids (issue 13.3): ``BridgeClient``/``ManagerClient.with_raw_response`` on every
single-call method, and traces on the models they return, against a sandbox serving from a thread."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from trace_calls import (
    CALLS,
    EVERY_METHOD,
    RETURNS_MODELS,
    WORLDS,
    Handled,
    Wire,
    drive_sync,
    models_in,
    returns,
)

from multimarkets import BridgeClient, RateLimit, RawResponse
from multimarkets.manager import ManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox
from multimarkets.sandbox.handlers import HANDLERS


@pytest.fixture
def sync_clients(wire: Wire, handled: Handled) -> Iterator[dict[str, Any]]:
    with Sandbox.in_thread(rate_limit=RateLimit(1000, 1.0), handlers=handled.wrap(HANDLERS)) as sandbox:
        given = sandbox.manager_credentials
        options: dict[str, Any] = {"rate_limit": None, "strict": True, "trace_configs": [wire.config]}
        manager_credentials = ManagerCredentials(given.app_id, given.app_secret)
        with (
            BridgeClient(sandbox.credentials, sandbox.base_url, **options) as bridge,
            ManagerClient(manager_credentials, given.base_url, trust_env=False, **options) as manager,
        ):
            yield {"bridge": bridge, "manager": manager}


@pytest.mark.parametrize(("api", "name"), EVERY_METHOD)
def test_with_raw_response_of_the_sync_clients(
    sync_clients: dict[str, Any], wire: Wire, handled: Handled, api: str, name: str
) -> None:
    client = sync_clients[api]
    world = drive_sync(WORLDS[api](client))
    start = len(wire.exchanges)
    raw = CALLS[api][name](client.with_raw_response, world)
    (exchange,) = wire.since(start)
    assert isinstance(raw, RawResponse)
    assert (raw.status, raw.trace, raw.attempts) == (200, exchange.trace, 1)
    if api == "bridge":
        assert handled.traces[-1] == raw.trace
    assert raw.headers["Content-Type"].startswith("application/json")
    assert isinstance(raw.parsed, returns(api, name))
    models = models_in(raw.parsed)
    assert bool(models) == (name in RETURNS_MODELS)
    assert all(model.trace == raw.trace for model in models)


@pytest.mark.parametrize("api", ["bridge", "manager"])
def test_models_of_the_sync_clients_carry_their_trace(sync_clients: dict[str, Any], wire: Wire, api: str) -> None:
    page = sync_clients[api].customers.list()
    assert page.trace == wire.exchanges[-1].trace


def test_dir_of_the_sync_raw_response(sync_clients: dict[str, Any]) -> None:
    assert dir(sync_clients["manager"].with_raw_response.accounts) == ["list", "update_balance"]
