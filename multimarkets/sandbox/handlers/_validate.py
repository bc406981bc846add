"""Body field checks shared by the handlers (each failure is a ``GGATEWAY_CODE_015`` naming the field), and
the answer parts they all shape alike (``companyId``, a page)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from .. import codes
from ..context import BizError

__all__ = [
    "AMOUNT_DIGITS",
    "company_id_value",
    "invalid",
    "optional_area",
    "optional_bool",
    "optional_int",
    "optional_str",
    "page_of",
    "require_int",
    "require_str",
]

AMOUNT_DIGITS = 18
"""An amount (a price, a quantity, a balance update, a balance) is below 10^18, else a parameter error. The service's
bound is not documented; this one keeps every amount the sandbox holds to what its 28-digit arithmetic can
quantize and what its answers can show (10^400 made a G500 traceback, or a balance no reader takes)."""

_DEFAULT_AREA = "+86"
_AREA = re.compile(r"\+?\d{1,4}")


def company_id_value(company_id: str) -> int | str:
    """``companyId`` as answers carry it."""
    # Documented as a number in responses; keep non-numeric ids (possible in the sandbox) as they are.
    return int(company_id) if company_id.isdigit() else company_id


R = TypeVar("R")


def page_of(records: Sequence[R], current: int, size: int, view: Callable[[R], dict[str, Any]]) -> dict[str, Any]:
    """Page ``current`` (from 1) of ``records``, ``size`` a page, in the answers' ``{current, records, size,
    total}`` shape."""
    chunk = records[(current - 1) * size : current * size]
    return {"current": current, "records": [view(record) for record in chunk], "size": size, "total": len(records)}


def invalid(name: str, reason: str) -> BizError:
    """The error for a bad parameter."""
    return BizError(codes.INVALID_PARAMETER, f"{codes.message_for(codes.INVALID_PARAMETER)}: {name} {reason}")


def optional_str(body: Mapping[str, Any], name: str, *, pattern: re.Pattern[str] | None = None) -> str | None:
    """A string field; None when absent, null or empty."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a string")
    if pattern is not None and not pattern.fullmatch(value):
        raise invalid(name, "has an invalid format")
    return value


def optional_area(body: Mapping[str, Any], name: str) -> str:
    """An area code field in its one stored form: ``+`` and digits, ``+86`` when not given. ``86`` and ``+86``
    are the same area (the rule both API sides play, as the SDK's bulk reconciliation also assumes)."""
    value = optional_str(body, name, pattern=_AREA)
    return "+" + value.lstrip("+") if value is not None else _DEFAULT_AREA


def require_str(body: Mapping[str, Any], name: str, *, pattern: re.Pattern[str] | None = None) -> str:
    """A required, non-empty string field."""
    value = optional_str(body, name, pattern=pattern)
    if value is None:
        raise invalid(name, "is required")
    return value


def optional_int(
    body: Mapping[str, Any], name: str, *, low: int | None = None, high: int | None = None, digits_ok: bool = False
) -> int | None:
    """An integer field (``digits_ok``: also a string of digits, for fields the docs type as string)."""
    value = body.get(name)
    if value is None or (digits_ok and value == ""):
        return None
    if digits_ok and isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(name, "must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(name, "is out of range")
    return value


def require_int(body: Mapping[str, Any], name: str, *, low: int | None = None, high: int | None = None) -> int:
    """A required integer field."""
    value = optional_int(body, name, low=low, high=high)
    if value is None:
        raise invalid(name, "is required")
    return value


def optional_bool(body: Mapping[str, Any], name: str, default: bool) -> bool:
    """A boolean field, ``default`` when absent."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(name, "must be a boolean")
    return value
