"""``--secret-key-file`` on every command that takes a secret key, a warning for an inline key, and the target
of ``customers import`` printed before anything is sent."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from multimarkets import RateLimit
from multimarkets.cli import main
from multimarkets.sandbox import Sandbox
from multimarkets.sandbox.keys import generate_secret_key

CSV = "email,password,country,register_source\nada@example.com,pw-1,GB,H5\nbob@example.com,pw-2,GB,H5\n"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox in a thread; the environment names its service, key and company but not its secret key."""
    with Sandbox.in_thread(rate_limit=RateLimit(1000, 1.0)) as sb:
        monkeypatch.setenv("MULTIMARKETS_BASE_URL", sb.base_url)
        monkeypatch.setenv("MULTIMARKETS_API_KEY", sb.credentials.api_key)
        monkeypatch.setenv("MULTIMARKETS_COMPANY_ID", sb.credentials.company_id)
        monkeypatch.delenv("MULTIMARKETS_SECRET_KEY", raising=False)
        yield sb


def import_(tmp_path: Path, *options: str) -> int:
    source = tmp_path / "in.csv"
    source.write_text(CSV, encoding="utf-8")
    return main(["customers", "import", str(source), "--rate-limit", "1000/1s", *options])


def test_import_reads_the_key_from_a_file_and_names_its_target_first(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text(sandbox.credentials.secret_key + "\n", encoding="utf-8")
    assert import_(tmp_path, "--secret-key-file", str(key_file)) == 0
    out, err = capsys.readouterr()
    assert f"registering at {sandbox.base_url} for company {sandbox.credentials.company_id}" in err
    assert "warning" not in err
    assert sandbox.credentials.secret_key not in out + err
    assert sorted(c["email"] for c in sandbox.customers()) == ["ada@example.com", "bob@example.com"]


def test_an_inline_key_still_works_with_a_warning(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_(tmp_path, "--secret-key", sandbox.credentials.secret_key) == 0
    err = capsys.readouterr().err
    assert "warning: a secret key given with --secret-key is visible to every user of this machine" in err
    assert len(sandbox.customers()) == 2


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read --secret-key-file"), ("\n", "is empty")])
def test_an_unusable_key_file_exits_2_and_sends_nothing(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    key_file = tmp_path / "secret.key"
    if content is not None:
        key_file.write_text(content, encoding="utf-8")
    assert import_(tmp_path, "--secret-key-file", str(key_file)) == 2
    assert message in capsys.readouterr().err
    assert sandbox.stats()["requests"] == 0


def test_a_key_inline_and_in_a_file_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        import_(tmp_path, "--secret-key", "inline", "--secret-key-file", str(tmp_path / "secret.key"))
    assert exit_.value.code == 2
    assert sandbox.stats()["requests"] == 0


def test_a_missing_key_names_the_file_option(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_(tmp_path) == 2
    assert "missing --secret-key-file (or $MULTIMARKETS_SECRET_KEY)" in capsys.readouterr().err


def test_the_sandbox_serves_the_key_of_its_key_file(tmp_path: Path) -> None:
    secret_key = generate_secret_key()
    key_file = tmp_path / "secret.key"
    key_file.write_text(secret_key, encoding="utf-8")
    command = [sys.executable, "-m", "multimarkets.cli", "sandbox", "--port", "0", "--secret-key-file", str(key_file)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            announced = json.loads(server.stdout.readline())
        finally:
            server.terminate()
        _, err = server.communicate(timeout=30)
    assert announced["secret_key"] == secret_key
    assert "warning" not in err
