"""Shared fixtures of the sync tests: the generator script, a scratch copy of the package to damage, a portal."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sync_helpers import GEN_SYNC, REPO

from multimarkets._sync._portal import Portal


@pytest.fixture(scope="session")
def gen_sync() -> ModuleType:
    """``scripts/gen_sync.py`` loaded as a module, to call ``main()`` in-process."""
    spec = importlib.util.spec_from_file_location("gen_sync", GEN_SYNC)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def scratch_root(tmp_path: Path) -> Path:
    """A project root holding a copy of what the generator reads and writes, and ruff's configuration."""
    ignore = shutil.ignore_patterns("__pycache__")
    for part in ("client.py", "resources", "manager", "_sync"):
        source, target = REPO / "multimarkets" / part, tmp_path / "multimarkets" / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.fixture(params=[False, True], ids=["own-thread", "lent"])
def portal(request: pytest.FixtureRequest) -> Iterator[Portal]:
    """A portal of its own, closed after the test: one whose thread runs the loop throughout, and one that lends
    its loop to callers (the sync clients')."""
    with Portal(name="test-portal", lend=request.param) as portal:
        yield portal
