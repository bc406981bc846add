"""``multimarkets.testing``: a fresh project whose tests (ours and the README's example) use nothing but the
plugin's fixtures passes."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

DEAD_PROXY = "http://127.0.0.1:9"
"""A proxy on the discard port, where nothing listens."""

USER_TESTS = """
import socket

import pytest

from multimarkets import AsyncBridgeClient, BridgeClient
from multimarkets.sandbox import Sandbox


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.anyio
async def test_async_client_registers_in_the_async_sandbox(bridge_async_client, bridge_sandbox):
    assert isinstance(bridge_async_client, AsyncBridgeClient) and isinstance(bridge_sandbox, Sandbox)
    number = await bridge_async_client.customers.register(
        phone="13200000092", password="secret", country="CN", register_source=1
    )
    assert [c["customer_no"] for c in bridge_sandbox.customers()] == [number]


def test_sync_client_registers_in_the_sandbox_in_a_thread(bridge_client, bridge_sandbox_in_thread):
    assert isinstance(bridge_client, BridgeClient)
    number = bridge_client.customers.register(email="a@example.com", password="secret", country="CN",
                                              register_source=1)
    assert bridge_client.customers.get(number).email == "a@example.com"
    assert bridge_sandbox_in_thread.stats()["customers"] == 1


def test_every_test_gets_a_fresh_sandbox(bridge_sandbox_in_thread):
    assert bridge_sandbox_in_thread.stats()["customers"] == 0


@pytest.mark.bridge_sandbox(rate_limit="3/60s")
def test_the_marker_passes_sandbox_options(bridge_client, bridge_sandbox_in_thread):
    assert bridge_sandbox_in_thread.config.rate_limit.requests == 3


PORT = free_port()


@pytest.mark.bridge_sandbox(port=PORT)
def test_my_code_copes_with_a_server_clock_an_hour_ahead(bridge_client, bridge_sandbox_in_thread):
    bridge_sandbox_in_thread.set_clock_skew(3_600_000)
    assert bridge_client.catalog.currencies() is not None


@pytest.mark.bridge_sandbox(port=PORT)
def test_the_next_sandbox_on_that_port_has_a_client_of_its_own(bridge_client, bridge_sandbox_in_thread):
    bridge_client.catalog.currencies()
    stats = bridge_sandbox_in_thread.stats()
    assert (stats["requests"], stats["rejected_timestamp"]) == (1, 0)
"""


def readme_example() -> str:
    """The example of the README's "Testing your code with the sandbox" section."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Testing your code with the sandbox", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def run_user_project(
    tmp_path: Path, *args: str, autoload: bool, proxy: str | None = None
) -> subprocess.CompletedProcess[str]:
    project = tmp_path / "user-project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_with_the_sandbox.py").write_text(textwrap.dedent(USER_TESTS))
    (project / "tests" / "test_from_the_readme.py").write_text(readme_example())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if proxy is not None:
        env.update(HTTP_PROXY=proxy, HTTPS_PROXY=proxy, http_proxy=proxy, https_proxy=proxy)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", *args, "tests"]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)


def assert_passed(done: subprocess.CompletedProcess[str]) -> None:
    """All eight pass; where trio is installed too, anyio adds trio variants of the two async tests, skipped."""
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 passed" in done.stdout
    if importlib.util.find_spec("trio") is not None:
        assert "2 skipped" in done.stdout


def test_a_fresh_project_passes_with_the_plugin_named_on_the_command_line(tmp_path):
    done = run_user_project(tmp_path, "-p", "anyio.pytest_plugin", "-p", "multimarkets.testing", autoload=False)
    assert_passed(done)


def test_a_fresh_project_passes_with_the_plugin_found_through_its_entry_point(tmp_path):
    if "multimarkets.testing" not in {ep.name for ep in entry_points(group="pytest11")}:
        pytest.skip("the installed metadata predates the pytest11 entry point: reinstall (pip install -e .)")
    done = run_user_project(tmp_path, autoload=True)
    assert_passed(done)


def test_a_fresh_project_passes_where_the_environment_names_a_proxy(tmp_path):
    """Corporate CI often sets HTTP_PROXY; the fixtures' clients keep the sandbox's loopback traffic off it
    (here a port nothing listens on: a request sent there fails)."""
    done = run_user_project(
        tmp_path, "-p", "anyio.pytest_plugin", "-p", "multimarkets.testing", autoload=False, proxy=DEAD_PROXY
    )
    assert_passed(done)
