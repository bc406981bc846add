"""A redirect is a configuration problem every row would meet: like a refused proxy, it stops a bulk run (the
Bridge and the Manager path, and ``customers import``), the rows settle ``not_attempted``, and a resume once the
configured URL serves the API again registers each row once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from transport_helpers import RawRequest, RawServer, answer, canned, envelope
from yarl import URL

from multimarkets import AsyncBridgeClient, Credentials, RedirectError
from multimarkets.cli import main
from multimarkets.manager import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox

ROWS = [{"email": f"r{i}@example.com", "password": "pw", "country": "GB", "register_source": 3} for i in range(5)]


class Front:
    """What the configured base URL reaches: a redirect to ``elsewhere`` for every request until ``fixed``, then a
    relay to the sandbox."""

    def __init__(self, elsewhere: str, upstream: str) -> None:
        self._elsewhere = elsewhere
        self._upstream = URL(upstream)
        self.fixed = False

    async def __call__(self, request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if not self.fixed:
            writer.write(answer(302, headers={"Location": f"{self._elsewhere}/webhook/global/moved"}))
        else:
            reader, upstream = await asyncio.open_connection(self._upstream.host, self._upstream.port)
            lines = [f"{request.method} {request.target} HTTP/1.1"]
            lines += [f"{name}: {value}" for name, value in request.headers.items() if name != "connection"]
            upstream.write("\r\n".join([*lines, "Connection: close", "", ""]).encode("latin-1") + request.body)
            writer.write(await reader.read())  # the sandbox closes after its answer
            upstream.close()
        await writer.drain()


def through(server: RawServer, base_url: str) -> str:
    """``base_url`` with the front's port: what a client configured with the front's address uses."""
    return str(URL(base_url).with_port(server.port))


def held(sandbox: Sandbox) -> list[str]:
    return sorted(customer["email"] for customer in sandbox.customers())


@pytest.mark.anyio
async def test_a_redirect_stops_a_bridge_run_and_a_resume_registers_each_row_once(
    sandbox: Sandbox, serve: Any, tmp_path: Path
) -> None:
    elsewhere: RawServer = serve(canned(answer(200, envelope({"customerNo": "foreign"}))))
    front = Front(elsewhere.url, sandbox.base_url)
    api: RawServer = serve(front)
    journal = tmp_path / "run.db"
    async with AsyncBridgeClient(sandbox.credentials, through(api, sandbox.base_url), rate_limit=None) as client:
        report = await client.customers.register_many(ROWS, journal=journal, concurrency=1)
        assert isinstance(report.stopped_by, RedirectError)
        assert (report.not_attempted, report.failed, len(api.requests), elsewhere.requests) == (5, 0, 1, [])
        assert all(row.code == "HTTP 302" and "stopped on RedirectError" in row.message for row in report.rows())
        front.fixed = True
        report = await client.customers.register_many(ROWS, journal=journal, concurrency=1)
    assert (report.registered, report.failed, report.not_attempted) == (5, 0, 0)
    assert held(sandbox) == sorted(row["email"] for row in ROWS)


@pytest.mark.anyio
async def test_a_redirect_stops_a_manager_run_and_a_resume_registers_each_row_once(
    sandbox: Sandbox, serve: Any, tmp_path: Path
) -> None:
    given = sandbox.manager_credentials
    elsewhere: RawServer = serve(canned(answer(200, envelope({"token": "foreign"}))))
    front = Front(elsewhere.url, given.base_url)
    api: RawServer = serve(front)
    journal = tmp_path / "run.db"
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    async with AsyncManagerClient(credentials, through(api, given.base_url), trust_env=False) as client:
        report = await client.customers.register_many(ROWS, accounts={1: "USDT"}, journal=journal, concurrency=1)
        assert isinstance(report.stopped_by, RedirectError)
        assert (report.not_attempted, report.failed, len(api.requests), elsewhere.requests) == (5, 0, 1, [])
        front.fixed = True
        report = await client.customers.register_many(ROWS, accounts={1: "USDT"}, journal=journal, concurrency=1)
    assert (report.registered, report.failed, report.not_attempted) == (5, 0, 0)
    async with AsyncManagerClient(credentials, given.base_url, trust_env=False) as direct:
        page = await direct.customers.list(size=100)
    assert sorted(customer.email or "" for customer in page.items) == sorted(row["email"] for row in ROWS)


@pytest.mark.parametrize("api", ["bridge", "manager"])
def test_customers_import_exits_2_on_a_redirect(
    api: str,
    serve: Any,
    credentials: Credentials,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    redirecting: RawServer = serve(canned(answer(302, headers={"Location": "https://moved.example/webhook"})))
    source = tmp_path / "in.csv"
    lines = [f"{row['email']},pw,GB,3" for row in ROWS]
    source.write_text("email,password,country,register_source\n" + "\n".join(lines) + "\n", encoding="utf-8")
    journal = str(tmp_path / "run.db")
    command = ["customers", "import", str(source), "--base-url", redirecting.base_url, "--concurrency", "1"]
    command += ["--journal", journal]
    if api == "manager":
        monkeypatch.setenv("MULTIMARKETS_MANAGER_APP_SECRET", "app-secret")
        command += ["--api", "manager", "--app-id", "app-id-0001", "--accounts", "1:USDT"]
    else:
        monkeypatch.setenv("MULTIMARKETS_API_KEY", credentials.api_key)
        monkeypatch.setenv("MULTIMARKETS_SECRET_KEY", credentials.secret_key)
        monkeypatch.setenv("MULTIMARKETS_COMPANY_ID", credentials.company_id)
    assert main(command) == 2
    assert len(redirecting.requests) == 1
    out, err = capsys.readouterr()
    (stopped,) = [line for line in out.splitlines() if line.startswith("stopped by")]
    assert "RedirectError: the service answered HTTP 302, redirecting to https://moved.example" in stopped
    # the journal belongs to the base URL: resuming it with a corrected one would be refused
    assert f"a corrected --base-url needs a new --journal ({journal} belongs to {redirecting.base_url})" in err
