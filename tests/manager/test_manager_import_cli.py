"""``multimarkets customers import --api manager`` against the sandbox's Manager side (in-process CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from multimarkets import ManagerClient, ManagerCredentials
from multimarkets.cli import main
from multimarkets.sandbox import Sandbox


@pytest.fixture
def sandbox_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox.in_thread() as sandbox:
        given = sandbox.manager_credentials
        monkeypatch.setenv("MULTIMARKETS_MANAGER_APP_SECRET", given.app_secret)
        monkeypatch.setenv("MULTIMARKETS_MANAGER_BASE_URL", given.base_url)
        yield sandbox


def test_import_over_the_manager_api_resumes_from_its_journal(
    sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    rows = [f"c{i}@example.com,pw,GB,3" for i in range(6)]
    source.write_text("email,password,country,register_source\n" + "\n".join(rows) + "\n", encoding="utf-8")
    app_id = sandbox_thread.manager_credentials.app_id
    command = ["customers", "import", str(source), "--api", "manager", "--app-id", app_id, "--accounts", "1:USDT"]
    journal = ["--journal", str(tmp_path / "run.db")]
    assert main([*command, *journal]) == 0
    assert main([*command, *journal]) == 0  # everything already settled: nothing sent twice
    err = capsys.readouterr().err
    assert f"for company app ...{app_id[-4:]}" in err and app_id not in err  # the app id is a credential
    given = sandbox_thread.manager_credentials
    with ManagerClient(ManagerCredentials(given.app_id, given.app_secret), given.base_url, trust_env=False) as client:
        assert sorted(c.email or "" for c in client.customers.iterate()) == [f"c{i}@example.com" for i in range(6)]


def test_import_over_the_manager_api_needs_accounts(
    sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("email,password,country,register_source\na@example.com,pw,GB,3\n", encoding="utf-8")
    app_id = sandbox_thread.manager_credentials.app_id
    assert main(["customers", "import", str(source), "--api", "manager", "--app-id", app_id]) == 2
    assert "--accounts" in capsys.readouterr().err


def test_a_file_without_register_source_is_refused_by_column_before_anything_is_sent(
    sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # registerSource is required and the docs give no default (manager-api §5.6): the column is required.
    source = tmp_path / "in.csv"
    source.write_text("email,password,country\na@example.com,pw,GB\n", encoding="utf-8")
    app_id = sandbox_thread.manager_credentials.app_id
    command = ["customers", "import", str(source), "--api", "manager", "--app-id", app_id, "--accounts", "1:USDT"]
    assert main(command) == 2
    assert main([*command, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("line 1: missing column register_source") == 2
    assert sandbox_thread.stats()["manager_requests"] == 0  # not even the auth call


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--accounts", "1:"], "--accounts: '1:' is not TRADE_TYPE:CURRENCY"),
        (["--accounts", "\uff11:USDT"], "is not TRADE_TYPE:CURRENCY"),  # a full-width digit
        (["--accounts", "0:USDT"], "is not TRADE_TYPE:CURRENCY"),
        (["--accounts", "99999999999999999999:USDT"], "is not TRADE_TYPE:CURRENCY"),  # past 64 bits, as the model
        (["--accounts", "1:US DT"], "is not TRADE_TYPE:CURRENCY"),
        (["--accounts", "1:USDT,,BTC"], "is not TRADE_TYPE:CURRENCY"),
        ([], "--api manager needs --accounts"),
        (["--accounts", "1:USDT", "--company-id", "1"], "--company-id: only with --api bridge"),
        (["--accounts", "1:USDT", "--secret-key-file", "key.pem"], "--secret-key-file: only with --api bridge"),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_bad_manager_options_exit_2_before_anything_is_sent_even_in_a_dry_run(
    sandbox_thread: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
    dry_run: bool,
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("email,password,country,register_source\na@example.com,pw,GB,3\n", encoding="utf-8")
    app_id = sandbox_thread.manager_credentials.app_id
    command = ["customers", "import", str(source), "--api", "manager", "--app-id", app_id, *options]
    assert main(command + ["--dry-run"] * dry_run) == 2
    assert message in capsys.readouterr().err
    assert sandbox_thread.stats()["manager_requests"] == 0


@pytest.mark.parametrize("options", [["--accounts", "1:USDT"], ["--app-id", "app-id-0001"]])
def test_manager_options_with_the_bridge_api_exit_2(
    sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("email,password,country,register_source\na@example.com,pw,GB,3\n", encoding="utf-8")
    assert main(["customers", "import", str(source), *options]) == 2
    assert f"{options[0]}: only with --api manager (this run: --api bridge)" in capsys.readouterr().err
    assert sandbox_thread.stats()["requests"] == 0


def test_a_trade_type_given_twice_opens_the_currencies_of_both(  # spot (5) offers BTC in the sandbox
    sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("email,password,country,register_source\na@example.com,pw,GB,3\n", encoding="utf-8")
    given = sandbox_thread.manager_credentials
    accounts = ["--accounts", "5:USDT;5: BTC,USDT;1:USDT"]
    assert main(["customers", "import", str(source), "--api", "manager", "--app-id", given.app_id, *accounts]) == 0
    with ManagerClient(ManagerCredentials(given.app_id, given.app_secret), given.base_url, trust_env=False) as client:
        [customer] = list(client.customers.iterate())
        opened = {
            (account.trade_type, account.currency)
            for trade_type in (1, 5)
            for account in client.accounts.list(customer.customer_no, trade_type=trade_type)
        }
    assert opened == {(5, "USDT"), (5, "BTC"), (1, "USDT")}
