"""The scripts in ``examples/``, run as a user runs them or loaded as modules (their apps served by the tests).

A module beside the root conftest: pytest puts this directory on ``sys.path``, so any test directory imports it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """What ``python examples/<name>.py args...`` prints (with ``env`` added to the environment); it must succeed
    and write nothing to stderr."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def load_example(name: str) -> ModuleType:
    """``examples/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
