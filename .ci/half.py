"""pytest plugin of CI: ``-p half --half N`` runs every other collected test, starting with the Nth (1 or 2), so
that the two lanes of ``.ci/run`` can share one Python's suite; the two halves together are the whole suite.
Every other test, not every other file: the slow tests sit in a few files, and their parameters side by side."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--half", type=int, choices=(1, 2), help="run every other test, starting with the Nth")


@pytest.hookimpl(trylast=True)  # halve what -k, -m and the command line selected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    half = config.getoption("half")
    if half is not None:
        config.hook.pytest_deselected(items=items[2 - half :: 2])
        items[:] = items[half - 1 :: 2]
