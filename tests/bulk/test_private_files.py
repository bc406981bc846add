"""Files with personal data (the journal and the CLI's report) are created readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from bulk_helpers import FAST, customers_csv, import_, make_rows, point_env_at

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import RowResult
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """A umask that leaves new files readable by everyone, as on many machines."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_journal_and_its_wal_are_private(sandbox: Sandbox, client: AsyncBridgeClient, tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    seen: dict[str, int] = {}

    def look(_: RowResult) -> None:
        for name in ("run.db", "run.db-wal"):
            if (tmp_path / name).exists():
                seen[name] = mode(tmp_path / name)

    report = await client.customers.register_many(make_rows(5), journal=journal, on_result=look)
    assert report.registered == 5
    assert seen == {"run.db": 0o600, "run.db-wal": 0o600}
    assert mode(journal) == 0o600


@pytest.mark.parametrize("extension", ["csv", "json"])
def test_the_cli_report_and_journal_are_private(
    extension: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = customers_csv(tmp_path / "in.csv", 3)
    report, journal = tmp_path / f"out.{extension}", tmp_path / "run.db"
    with Sandbox.in_thread(rate_limit=FAST) as sb:
        point_env_at(sb, monkeypatch)
        assert import_(str(source), "--journal", str(journal), "--report", str(report)) == 0
    assert mode(report) == 0o600 and mode(journal) == 0o600
