"""The shared limit stores, each opened from its URL as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of each shared backend: a SQLite file, or the test suite's real Redis server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'limits.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url
