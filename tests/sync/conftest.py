"""Shared helpers of the sync tests: the generator script, and generated copies of the fixture package."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sync_helpers import FIXTURE_PACKAGE, FIXTURE_SOURCE, GEN_SYNC, REPO


@pytest.fixture(scope="session")
def gen_sync() -> ModuleType:
    """``scripts/gen_sync.py`` loaded as a module, to call ``main()`` in-process."""
    spec = importlib.util.spec_from_file_location("gen_sync", GEN_SYNC)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_sync"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def fixture_root(root: Path) -> Path:
    """A project root holding a copy of the fixture package (with the real portal) and ruff's config."""
    shutil.copytree(FIXTURE_SOURCE, root / FIXTURE_PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / FIXTURE_PACKAGE / "_sync").mkdir()
    shutil.copy(REPO / "multimarkets" / "_sync" / "_portal.py", root / FIXTURE_PACKAGE / "_sync" / "_portal.py")
    return root


@pytest.fixture(scope="session")
def generated_root(tmp_path_factory: pytest.TempPathFactory, gen_sync: ModuleType) -> Path:
    """The fixture package with its ``_sync/`` generated (once per session); do not modify it."""
    root = fixture_root(tmp_path_factory.mktemp("generated"))
    assert gen_sync.main(["--root", str(root), "--package", FIXTURE_PACKAGE]) == 0
    return root


@pytest.fixture
def scratch_root(tmp_path: Path, generated_root: Path) -> Path:
    """A private copy of the generated fixture tree, for a test to damage."""
    root = tmp_path / "root"
    shutil.copytree(generated_root, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="session")
def fixture_package(generated_root: Path) -> Iterator[str]:
    """The generated fixture package, importable by name for the session."""
    sys.path.insert(0, str(generated_root))
    try:
        yield FIXTURE_PACKAGE
    finally:
        sys.path.remove(str(generated_root))
