"""A run without a rate limit notes new rows' calls a chunk ahead of the workers (see ``Feed.plain``): still,
no request goes out before the commit that noted it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bulk_helpers import FAST, held_by_email, make_rows

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import read_results
from multimarkets.bulk.journal import Journal
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.sandbox import RequestContext, Sandbox
from multimarkets.sandbox.handlers import HANDLERS

pytestmark = pytest.mark.anyio


async def test_each_request_waits_for_the_commit_of_its_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    committed: set[str] = set()
    write = Journal._write

    def recording(journal: Journal, notes: Any, beat: bool) -> None:
        write(journal, notes, beat)
        committed.update(notes.first[2::4])  # each row's (position, digest, email, phone)
        committed.update(notes.sending[2::6])  # each row's (position, digest, email, phone, attempts, ambiguous)

    monkeypatch.setattr(Journal, "_write", recording)
    early: list[str] = []

    async def checked(ctx: RequestContext, body: dict[str, Any]) -> Any:
        if body["email"] not in committed:
            early.append(body["email"])
        return await HANDLERS[ADD_CUSTOMER](ctx, body)

    sandbox = Sandbox(rate_limit=FAST, handlers={ADD_CUSTOMER: checked}, faults="latency=0ms..3ms", seed=1)
    async with sandbox as sb, AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        report = await client.customers.register_many(make_rows(300), journal=tmp_path / "run.db", concurrency=16)
        held = held_by_email(sb)
    assert report.registered == len(held) == 300
    assert early == []
    # Every row's record, written 16, 4 and 1 rows per statement, holds its own customer number.
    recorded = {result.email: [result.customer_no] for result in read_results(tmp_path / "run.db")}
    assert recorded == held
