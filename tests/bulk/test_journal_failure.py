"""A journal that can no longer be written stops the run, and no request goes out that it did not note."""

from __future__ import annotations

import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import AsyncBridgeClient, JournalError
from multimarkets.bulk import read_results
from multimarkets.sandbox import Sandbox

pytestmark = pytest.mark.anyio

ROWS = 3000


@contextmanager
def files_capped_at(size: int) -> Iterator[None]:
    """Writes past ``size`` bytes of any file fail with EFBIG (as on a full disk) while the block runs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


async def test_a_failed_commit_stops_the_run_after_only_noted_requests(tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    async with Sandbox(rate_limit=FAST) as sb:
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
            with files_capped_at(256 * 1024), pytest.raises(JournalError, match="cannot write the journal"):
                await client.customers.register_many(make_rows(ROWS), journal=journal)
        registered = set(held_by_email(sb))
    noted = {result.email for result in read_results(journal)}
    assert 0 < len(registered) < ROWS  # the WAL filled up part-way through the run
    assert registered <= noted  # every call was committed before it was made
