"""The Manager examples in ``examples/`` run as they are and print what they promise."""

from __future__ import annotations

import re

import pytest
from example_files import run_example


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("manager_quickstart", r"registered \d+: USDT balance 5\.0+\n"),
        ("manager_quickstart_sync", r"registered \d+: 13200000092\n"),
        ("data_push", r"register (\d+) \(EMAIL\)\nopen_account\naccount_adjust \1: 5 USDT\n"),
    ],
)
def test_manager_example_runs(name: str, printed: str) -> None:
    assert re.fullmatch(printed, run_example(name))
