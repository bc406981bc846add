"""A key or company id pasted with a CR (a Windows file) or other control character: ``customers import`` says so
in one line and exits 2 before sending anything, instead of a traceback from aiohttp at the first request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from multimarkets import RateLimit
from multimarkets.cli import main
from multimarkets.sandbox import Sandbox

CSV = "email,password,country,register_source\nada@example.com,pw-1,GB,H5\n"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox.in_thread(rate_limit=RateLimit(1000, 1.0)) as sb:
        for name in ("BASE_URL", "API_KEY", "COMPANY_ID", "SECRET_KEY"):
            monkeypatch.delenv(f"MULTIMARKETS_{name}", raising=False)
        yield sb


@pytest.mark.parametrize(
    ("option", "suffix", "field"),
    [("--api-key", "\r", "api_key"), ("--api-key", "\x1b[0m", "api_key"), ("--company-id", "\r\nX: y", "company_id")],
)
def test_a_control_character_in_a_header_value_is_one_line_and_exit_2(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, suffix: str, field: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(CSV, encoding="utf-8")
    given = {"--api-key": sandbox.credentials.api_key, "--company-id": sandbox.credentials.company_id}
    given[option] += suffix
    key_file = tmp_path / "secret.key"
    key_file.write_text(sandbox.credentials.secret_key, encoding="utf-8")
    argv = ["customers", "import", str(source), "--base-url", sandbox.base_url, "--secret-key-file", str(key_file)]
    for name, value in given.items():
        argv += [name, value]
    assert main([*argv, "--report", str(tmp_path / "report.csv")]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"multimarkets customers import: Credentials.{field} ")
    assert "Traceback" not in err
    assert sandbox.credentials.api_key not in err
    assert sandbox.stats()["requests"] == 0
