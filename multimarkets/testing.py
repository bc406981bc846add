"""A pytest plugin for testing code that uses multimarkets: a local sandbox and clients bound to it.

Installed with the package (entry point ``pytest11``), so the fixtures are there in every test suite of an
environment that has multimarkets; without entry-point loading, add ``-p multimarkets.testing`` (and
``-p anyio.pytest_plugin`` for the async fixtures under ``@pytest.mark.anyio``).

- ``bridge_sandbox``: a running :class:`~multimarkets.sandbox.Sandbox` on the test's event loop (async tests).
- ``bridge_async_client``: an :class:`~multimarkets.AsyncBridgeClient` bound to ``bridge_sandbox``.
- ``bridge_sandbox_in_thread``: a sandbox serving from a background thread (sync tests).
- ``bridge_client``: a sync :class:`~multimarkets.BridgeClient` bound to ``bridge_sandbox_in_thread``.

Each test gets a fresh sandbox, and its clients learn its clock afresh: what clients of an earlier sandbox on
the same port learned of that one's clock (``set_clock_skew``) is forgotten.
``@pytest.mark.bridge_sandbox(**options)`` passes constructor options (``rate_limit="1000/1s"``,
``faults=...``, ``seed=...``) to the test's sandbox. The async fixtures run under anyio's pytest plugin
(``@pytest.mark.anyio``, which comes with anyio), or pytest-asyncio in auto mode. The sandbox needs the asyncio
backend: where anyio also offers trio (trio installed), the trio variants of tests that use the async fixtures
are skipped with that reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from yarl import URL

from ._clock import forget_clocks
from ._sync import BridgeClient
from .client import AsyncBridgeClient

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["bridge_async_client", "bridge_client", "bridge_sandbox", "bridge_sandbox_in_thread"]

MARKER = "bridge_sandbox"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(**options): constructor options of the test's multimarkets sandbox fixtures"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="the multimarkets sandbox runs on the asyncio backend only")
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("anyio_backend") if callspec is not None else None
        if isinstance(backend, tuple):
            backend = backend[0]
        if backend not in (None, "asyncio") and "bridge_sandbox" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    return dict(marker.kwargs) if marker is not None else {}


@contextmanager
def _own_clock(sandbox: Sandbox) -> Iterator[Sandbox]:
    """``sandbox``, with the server clocks learned at its address forgotten before and after the test."""
    origin = str(URL(sandbox.base_url).origin())
    forget_clocks(origin)
    try:
        yield sandbox
    finally:
        forget_clocks(origin)


@pytest.fixture
async def bridge_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """A sandbox serving on the test's event loop, for async tests."""
    from .sandbox import Sandbox  # the plugin loads with pytest; the sandbox only when a test needs it

    async with Sandbox(**_options(request)) as sandbox:
        with _own_clock(sandbox):
            yield sandbox


@pytest.fixture
async def bridge_async_client(bridge_sandbox: Sandbox) -> AsyncIterator[AsyncBridgeClient]:
    """An async client bound to ``bridge_sandbox``."""
    async with AsyncBridgeClient(bridge_sandbox.credentials, bridge_sandbox.base_url, trust_env=False) as client:
        yield client


@pytest.fixture
def bridge_sandbox_in_thread(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox serving from a background thread, for sync tests."""
    from .sandbox import Sandbox

    with Sandbox.in_thread(**_options(request)) as sandbox, _own_clock(sandbox):
        yield sandbox


@pytest.fixture
def bridge_client(bridge_sandbox_in_thread: Sandbox) -> Iterator[BridgeClient]:
    """A sync client bound to ``bridge_sandbox_in_thread``."""
    with BridgeClient(
        bridge_sandbox_in_thread.credentials, bridge_sandbox_in_thread.base_url, trust_env=False
    ) as client:
        yield client
