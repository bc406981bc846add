"""The Manager examples in ``examples/`` run as they are and print what they promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("manager_quickstart", r"registered \d+: USDT balance 5\.0+\n"),
        ("manager_quickstart_sync", r"registered \d+: 13200000092\n"),
        ("data_push", r"register (\d+) \(EMAIL\)\nopen_account\naccount_adjust \1: 5 USDT\n"),
    ],
)
def test_manager_example_runs(name: str, printed: str) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert re.fullmatch(printed, done.stdout)
