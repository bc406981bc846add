"""A journal belongs to one service, API key and company: reusing it with another sends nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bulk_helpers import FAST, customers_csv, import_, make_rows, point_env_at

from multimarkets import AsyncBridgeClient, CustomerRegistration, JournalError
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import ApiKeyConfig, Sandbox

pytestmark = pytest.mark.anyio


async def register_half(sb: Sandbox, journal: Path) -> None:
    async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client:
        report = await client.customers.register_many(make_rows(5), journal=journal)
    assert report.registered == 5


async def test_a_journal_reused_against_another_service_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    async with Sandbox(rate_limit=FAST) as test_env, Sandbox(rate_limit=FAST) as production:
        await register_half(test_env, journal)
        async with AsyncBridgeClient(production.credentials, production.base_url, rate_limit=None) as client:
            with pytest.raises(JournalError) as caught:
                await client.customers.register_many(make_rows(10), journal=journal)
        assert production.stats()["requests"] == 0 and production.customers() == []
        message = str(caught.value)
        assert f"base URL {test_env.base_url} (this client: {production.base_url})" in message
        assert "another API key" in message and "company id" not in message  # both sandboxes use company 1
        assert production.credentials.api_key not in message and test_env.credentials.api_key not in message


async def test_another_api_key_or_company_of_the_same_service_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    keys = [ApiKeyConfig("1"), ApiKeyConfig("1"), ApiKeyConfig("2")]
    async with Sandbox(rate_limit=FAST, api_keys=keys) as sb:
        await register_half(sb, journal)
        first, same_company, other_company = sb.all_credentials
        for credentials, named in ((same_company, "another API key"), (other_company, "company id 1 (this client: 2)")):
            async with AsyncBridgeClient(credentials, sb.base_url, rate_limit=None) as client:
                with pytest.raises(JournalError, match="belongs to another service or account") as caught:
                    await client.customers.register_many(make_rows(10), journal=journal)
            assert named in str(caught.value) and "base URL" not in str(caught.value)
        assert sb.stats()["requests"] == 5
        # the right client still resumes it: the five recorded rows are not sent again
        async with AsyncBridgeClient(first, sb.base_url, rate_limit=None) as client:
            report = await client.customers.register_many(make_rows(10), journal=journal)
        assert (report.resumed, report.registered) == (5, 10) and sb.stats()["requests"] == 10


def test_the_cli_exits_2_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = customers_csv(tmp_path / "in.csv", 6)
    journal = str(tmp_path / "run.db")
    with Sandbox.in_thread(rate_limit=FAST) as test_env, Sandbox.in_thread(rate_limit=FAST) as production:
        point_env_at(test_env, monkeypatch)
        assert import_(str(source), "--journal", journal) == 0
        point_env_at(production, monkeypatch)
        capsys.readouterr()
        assert import_(str(source), "--journal", journal) == 2
        assert production.stats()["requests"] == 0
    assert "belongs to another service or account" in capsys.readouterr().err


def manager_rows(count: int) -> list[CustomerRegistration]:
    return [
        CustomerRegistration(country="GB", register_source=3, email=f"m{i}@example.com", password="pw")
        for i in range(count)
    ]


async def register_over_manager(sb: Sandbox, rows: list[CustomerRegistration], journal: Path) -> int:
    """Register ``rows`` with the sandbox's own app id; how many were registered."""
    given = sb.manager_credentials
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    async with AsyncManagerClient(credentials, given.base_url, trust_env=False) as client:
        return (await client.customers.register_many(rows, accounts={1: "USDT"}, journal=journal)).registered


async def test_a_manager_journal_names_another_app_id_in_the_manager_api_terms(tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    rows = manager_rows(3)
    async with Sandbox(rate_limit=FAST) as sb:
        given = sb.manager_credentials
        assert await register_over_manager(sb, rows, journal) == 3
        other = ManagerCredentials("another-app-0002", given.app_secret)
        async with AsyncManagerClient(other, given.base_url, trust_env=False) as client:
            with pytest.raises(JournalError, match="belongs to another service or account") as caught:
                await client.customers.register_many(rows, accounts={1: "USDT"}, journal=journal)
    message = str(caught.value)
    assert "another app id" in message and "API key" not in message and "base URL" not in message
    assert given.app_id not in message and "another-app-0002" not in message


async def test_a_manager_journal_records_the_app_id_it_checks_and_no_empty_company(tmp_path: Path) -> None:
    journal = tmp_path / "run.db"
    rows = manager_rows(4)
    async with Sandbox(rate_limit=FAST) as sb:
        assert await register_over_manager(sb, rows[:2], journal) == 2
        with sqlite3.connect(journal) as conn:
            meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
            # The app id names the white label (its company id comes only with the auth answer): what is recorded
            # says so, and holds no company id that every Manager client would match.
            assert meta["key_name"] == "app id" and "company_id" not in meta
            assert sb.manager_credentials.app_id not in "".join(meta.values())
            # a journal of an earlier version, which recorded company id "", still resumes
            conn.execute("INSERT INTO meta (name, value) VALUES ('company_id', '')")
        conn.close()
        assert await register_over_manager(sb, rows, journal) == 4  # the first two resumed, not sent again
        assert sb.stats()["manager_customers"] == 4
