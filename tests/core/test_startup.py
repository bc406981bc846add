"""Start-up: ``import multimarkets`` and the ``multimarkets`` command load only what they use.

Each check runs in a fresh interpreter and looks at ``sys.modules``; the times are in benchmarks/startup.py.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import multimarkets
from multimarkets import _version

# Loaded only by bulk registration, the sandbox, the webhook receiver or the CLI; never by a client call.
ON_FIRST_USE = ("sqlite3", "csv", "aiohttp.web", "multimarkets.bulk", "multimarkets.sandbox", "multimarkets.webhooks")


def loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def loaded_by(*modules: str, within: set[str]) -> list[str]:
    return sorted(m for m in within if any(m == name or m.startswith(name + ".") for name in modules))


def test_import_multimarkets_loads_nothing_but_the_package() -> None:
    loaded = loaded_after("import multimarkets")
    assert loaded_by("multimarkets", within=loaded) == ["multimarkets", "multimarkets._logs", "multimarkets._version"]
    assert not loaded_by("aiohttp", "attr", "cattrs", "cryptography", within=loaded)


@pytest.mark.parametrize("name", ["AsyncBridgeClient", "BridgeClient"])
def test_a_client_loads_what_a_call_needs_and_nothing_more(name: str) -> None:
    loaded = loaded_after(f"import multimarkets\nmultimarkets.{name}")
    assert {"aiohttp", "multimarkets.client", "multimarkets._transport", "multimarkets.signing"} <= loaded
    assert not loaded_by(*ON_FIRST_USE, "multimarkets.cli", within=loaded)
    # Each resource namespace brings its module and models on first use; cattrs comes with the first of them.
    namespaces = ("multimarkets.resources", "multimarkets._sync.resources", "multimarkets.models", "cattrs")
    assert not loaded_by(*namespaces, within=loaded)


@pytest.mark.parametrize("name", ["AsyncBridgeClient", "BridgeClient"])
def test_a_resource_namespace_loads_its_own_models_on_first_use(name: str) -> None:
    make = f"client = multimarkets.{name}(multimarkets.Credentials('key', 'secret', '1'), signer=Unsigned())"
    unsigned = "class Unsigned:\n    def sign(self, body, timestamp):\n        return ''"
    loaded = loaded_after(f"import multimarkets\n{unsigned}\n{make}\nclient.customers")
    assert {"multimarkets.resources.customers", "multimarkets.models.customers"} <= loaded
    assert not loaded_by("multimarkets.resources.trading", "multimarkets.models.trading", within=loaded)
    assert not loaded_by("cryptography", within=loaded)  # a signer of the client's own reads no RSA key


@pytest.mark.parametrize("argv", [["--version"], ["--help"], []])
def test_the_command_without_a_subcommand_loads_no_client_and_no_sandbox(argv: list[str]) -> None:
    run_cli = f"import runpy\nsys.argv = ['multimarkets', *{argv!r}]\ntry:\n"
    run_cli += "    runpy.run_module('multimarkets', run_name='__main__')\nexcept SystemExit:\n    pass"
    loaded = loaded_after(run_cli)
    assert "multimarkets.cli" in loaded
    assert not loaded_by("aiohttp", "multimarkets.client", *ON_FIRST_USE, within=loaded)


def test_python_m_multimarkets_runs_the_command() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "multimarkets", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (version.returncode, version.stdout) == (0, f"multimarkets {_version.__version__}\n")
    listing = subprocess.run([sys.executable, "-m", "multimarkets", "--help"], capture_output=True, text=True)
    assert listing.returncode == 0
    for command, summary in (("customers", "manage customers"), ("sandbox", "serve a local sandbox")):
        assert command in listing.stdout and summary in listing.stdout
    sub = subprocess.run([sys.executable, "-m", "multimarkets", "customers", "import", "--help"], capture_output=True)
    assert sub.returncode == 0 and b"--journal" in sub.stdout


def test_every_public_name_resolves_to_its_defining_module() -> None:
    for name in multimarkets.__all__:
        value = getattr(multimarkets, name)
        if name != "__version__":
            module = importlib.import_module(multimarkets._WHERE[name], "multimarkets")
            assert value is getattr(module, name), name
    assert set(multimarkets.__all__) == {*multimarkets._WHERE, "__version__"}
    assert set(multimarkets.__all__) <= set(dir(multimarkets))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        multimarkets.Nope  # noqa: B018
    namespace: dict[str, object] = {}
    exec("from multimarkets import *", namespace)
    assert namespace["BridgeClient"] is multimarkets.BridgeClient
