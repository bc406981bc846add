"""Helpers shared by the bulk tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from multimarkets import RateLimit
from multimarkets.cli import main
from multimarkets.sandbox import Sandbox

FAST = RateLimit(1000, 1.0)
"""A sandbox limit no test reaches unless it means to."""


def make_rows(count: int, *, start: int = 0, phones: bool = True) -> list[dict[str, Any]]:
    """``count`` valid registration rows with distinct e-mails (and phones)."""
    rows = []
    for i in range(start, start + count):
        row: dict[str, Any] = {
            "email": f"user{i:05d}@example.com",
            "password": f"pw-{i}",
            "country": "CN",
            "register_source": "H5",
        }
        if phones:
            row["phone"] = f"1390000{i:04d}"
        rows.append(row)
    return rows


def held_by_email(sandbox: Sandbox) -> dict[str, list[str]]:
    """The sandbox's customer numbers per e-mail (a list, so a double registration would show)."""
    held: dict[str, list[str]] = {}
    for customer in sandbox.customers():
        held.setdefault(customer["email"], []).append(customer["customer_no"])
    return held


HEADER = "email,phone,password,country,register_source"


def point_env_at(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the environment the CLI reads its service and credentials from to ``sb``'s."""
    monkeypatch.setenv("MULTIMARKETS_BASE_URL", sb.base_url)
    monkeypatch.setenv("MULTIMARKETS_API_KEY", sb.credentials.api_key)
    monkeypatch.setenv("MULTIMARKETS_SECRET_KEY", sb.credentials.secret_key)
    monkeypatch.setenv("MULTIMARKETS_COMPANY_ID", sb.credentials.company_id)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def customers_csv(path: Path, count: int) -> Path:
    lines = [HEADER] + [f"{r['email']},{r['phone']},{r['password']},CN,H5" for r in make_rows(count)]
    return write(path, "\n".join(lines) + "\n")


def import_(*args: str) -> int:
    return main(["customers", "import", *args, "--rate-limit", "1000/1s"])
