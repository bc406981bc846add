"""The generated fixture client works: each kind of generated member, run through a real portal."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def sync(fixture_package: str) -> Any:
    return importlib.import_module(f"{fixture_package}._sync")


@pytest.fixture
def client(sync: Any) -> Iterator[Any]:
    with sync.BridgeClient("token") as client:
        yield client


def test_coroutines_run_through_the_portal(client: Any) -> None:
    assert client.call("ping", {"a": 1}) == {"name": "ping", "body": {"a": 1}, "retries": 2, "mode": "fast"}
    thing = client.things.create("box", size=2)
    assert (thing.name, thing.size, thing.colour.value) == ("box", 2, "red")
    assert client.things.get(4).size == 4
    assert client.things.tag("a", "b", k="v") == ["a", "b", "k=v"]
    assert client.things.labels.add(thing, "fragile") == ["box", "fragile"]
    assert client.things.ping() is True  # inherited from the async base class
    assert client.widgets.count("large") == 1
    assert client.newest() is None


def test_iterators(client: Any) -> None:
    assert [t.size for t in client.things.iterate(limit=4)] == [0, 1, 2, 3]
    assert [t.size for t in client.things] == [0, 1, 2]
    assert list(client.stream(3)) == [0, 1, 2]


def test_properties_and_repr(client: Any) -> None:
    assert client.base_url == "http://fake.invalid"
    assert client.token == "token"
    assert repr(client) == "BridgeClient(base_url='http://fake.invalid')"


def test_close_runs_the_async_aclose_in_the_portal(sync: Any) -> None:
    client = sync.BridgeClient("token")
    client.call("x")
    async_client = client._async
    client.close()
    assert async_client.closed == 1
    with pytest.raises(sync.SyncUsageError, match="closed"):
        client.call("x")
    with sync.BridgeClient("token") as other:
        other.call("x")
    assert other._async.closed == 1
