"""Helpers shared by the bulk tests."""

from __future__ import annotations

from typing import Any

from multimarkets import RateLimit
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
