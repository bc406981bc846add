"""Input checks the request models use as attrs converters; each failure is a :class:`ValidationError` naming
the field (the user's parameter name, which is the request model's attribute name).

The mypy attrs plugin cannot see through a converter built by :func:`checked` ("Unsupported converter"), so
the request modules silence that one error code; their ``__init__`` parameters are then typed ``Any``, which
is what they take: anything, checked at run time.
"""

from __future__ import annotations

import enum
import re
import reprlib
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from .._convert import to_millis
from .._read import AMOUNT_DIGITS
from ..errors import ValidationError

__all__ = [
    "DECIMAL_PLACES",
    "DEFAULT_MAX_LENGTH",
    "LARGEST_INT",
    "MAX_LENGTH",
    "checked",
    "choice",
    "clean_text",
    "decimal_amount",
    "flag",
    "matching",
    "millis",
    "one_of",
    "optional_text",
    "page_number",
    "positive_decimal",
    "positive_int",
    "request_of",
    "text",
]

DECIMAL_PLACES = 18
"""The most decimal places of a decimal input (an order's price or quantity, a balance update's amount): those of
the finest-grained tokens (18, ether's wei). Its size is bounded as an answer's amount is, below
``10**AMOUNT_DIGITS`` (10**18), so an amount sent has at most 36 digits."""

_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

E = TypeVar("E", bound=enum.Enum)
M = TypeVar("M")


def checked(
    check: Callable[[Any, str], Any], *, optional: bool = False, then: Callable[[Any], Any] | None = None
) -> Any:
    """An attrs converter running ``check(value, field_name)``, so that a failure names the field; ``optional``
    lets None through unchecked, ``then`` turns the checked value into its wire form (e.g. ``str``)."""

    def convert(value: Any, field: attrs.Attribute[Any]) -> Any:
        if optional and value is None:
            return None
        result = check(value, field.name)
        return result if then is None else then(result)

    return attrs.Converter(convert, takes_field=True)


def request_of(cls: type[M], arguments: Mapping[str, Any]) -> M:
    """The request model ``cls`` built from an endpoint method's ``arguments`` (its ``locals()``, taken first).

    The method's signature names each parameter for its reader and the model checks it; passing them on by
    keyword would write the list a third time. Each argument but ``self`` must be a field of ``cls``."""
    given = {name: value for name, value in arguments.items() if name != "self"}
    unknown = set(given) - set(attrs.fields_dict(cls))  # type: ignore[arg-type]
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {min(unknown)!r}")
    return cls(**given)


MAX_LENGTH: Mapping[str, int] = {
    "email": 254,  # RFC 5321: the longest path a mail server must accept
    "password": 128,
    "remark": 500,
    "api_key": 512,
    "secret_key": 512,
    "passphrase": 512,
    "certificate": 65_536,  # hex of a PKCS#12 file: twice its size in bytes
    "webhook_url": 2048,  # what browsers and most servers take
}
"""The longest text each field may have; every other text field (numbers, names, codes, ids) takes
:data:`DEFAULT_MAX_LENGTH`. Longer input is rejected before anything is sent."""

DEFAULT_MAX_LENGTH = 128
"""The longest customer number, account name, order id, currency, dictionary code and so on we send."""

LARGEST_INT = 2**63 - 1
"""The largest integer we send: the service's numbers are Java longs."""


def _control_character(value: str) -> int | None:
    """The position of the first control character (NUL, newline, tab, DEL, C1, line separators) or lone
    surrogate (which no UTF-8 body can carry), if any."""
    for position, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs"):
            return position
    return None


def _too_big(value: Any) -> bool:
    """An int past 64 bits: no number of the service, and past Python's digit limit not even printable."""
    return isinstance(value, int) and not -LARGEST_INT <= value <= LARGEST_INT


def _shown(value: Any) -> str:
    """``value`` for an error message, cut short."""
    return "an integer beyond 64 bits" if _too_big(value) else reprlib.repr(value)


def clean_text(value: str, field: str) -> str:
    """``value`` if it has no control character and is not longer than the field allows (the value itself is
    never echoed: it may be a secret)."""
    # isprintable: no character of "Other" or "Separator" but the space, the common case, without a scan
    position = None if value.isprintable() else _control_character(value)
    if position is not None:
        raise ValidationError(
            field,
            f"must not contain control characters or lone surrogates (U+{ord(value[position]):04X} at {position})",
        )
    longest = MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH)
    if len(value) > longest:
        raise ValidationError(field, f"is {len(value)} characters long; at most {longest} are allowed")
    return value


def text(value: Any, field: str) -> str:
    """A required, non-blank string (surrounding blanks removed)."""
    result = optional_text(value, field)
    if result is None:
        raise ValidationError(field, "is required")
    return result


def optional_text(value: Any, field: str) -> str | None:
    """A string or None; blank counts as absent. Control characters and overlong text are refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, not {type(value).__name__}")
    return clean_text(value, field).strip() or None


def matching(pattern: str, message: str) -> Callable[[Any, str], str | None]:
    """The check for optional text that must match ``pattern`` in full; ``message`` says what it must be."""
    compiled = re.compile(pattern)

    def check(value: Any, field: str) -> str | None:
        if type(value) is str and value.isprintable() and len(value) <= MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH):
            result = value.strip() or None  # what optional_text makes of clean text, without its two calls
        else:
            result = optional_text(value, field)
        if result is not None and not compiled.fullmatch(result):
            raise ValidationError(field, message)
        return result

    return check


def flag(value: Any, field: str) -> bool:
    """True or False, nothing that merely looks like one (``"false"`` is truthy)."""
    if not isinstance(value, bool):
        raise ValidationError(field, "must be True or False")
    return value


def positive_int(value: Any, field: str) -> int:
    """A positive integer up to :data:`LARGEST_INT` (``"59"`` is accepted; booleans are not)."""
    digits = value.strip() if isinstance(value, str) else None
    if digits is not None and digits.isascii() and digits.isdigit() and len(digits) <= len(str(LARGEST_INT)):
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= LARGEST_INT:
        raise ValidationError(field, f"must be a positive integer of at most 64 bits, not {_shown(value)}")
    return value


def page_number(value: Any, field: str, *, high: int | None = None) -> int:
    """A page number or size: a positive integer, at most ``high``."""
    number = positive_int(value, field)
    if high is not None and number > high:
        raise ValidationError(field, f"must be at most {high}, not {number}")
    return number


def decimal_amount(value: Any, field: str) -> Decimal:
    """A finite decimal from a Decimal, an int or plain decimal text: ASCII digits with an optional sign and point
    (``Decimal()`` also reads ``1_000``, ``1e400`` and other scripts' digits such as ``١``, none of which a person
    typing an amount means), below ``10**AMOUNT_DIGITS`` in size with at most :data:`DECIMAL_PLACES` places."""
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value.strip()):
            raise ValidationError(
                field, f"must be plain decimal text (ASCII digits, one point: 1.25), not {_shown(value)}"
            )
        number = Decimal(value.strip())
    elif isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        number = Decimal(value)
    else:
        raise ValidationError(
            field, f"give a Decimal, an int or a decimal string (floats are inexact), not {_shown(value)}"
        )
    if not number.is_finite() or number.adjusted() >= AMOUNT_DIGITS or number.as_tuple().exponent < -DECIMAL_PLACES:  # type: ignore[operator]
        raise ValidationError(
            field,
            f"must be a finite number below 10**{AMOUNT_DIGITS} with at most {DECIMAL_PLACES} decimal places, "
            f"not {_shown(value)}",
        )
    return number


def positive_decimal(value: Any, field: str) -> Decimal:
    """A :func:`decimal_amount` above zero."""
    number = decimal_amount(value, field)
    if number <= 0:
        raise ValidationError(field, f"must be a number above zero, not {_shown(value)}")
    return number


def choice(cls: type[E], value: Any, field: str) -> E:
    """An enum member from the member itself, its wire value (``2``, ``"2"``, ``"GTC"``) or its name (``"buy"``,
    ``"pc-web"``)."""
    if isinstance(value, cls):
        return value
    if type(value) is int or type(value) is str:
        member = cls._value2member_map_.get(value)  # an exact wire value, without comparing every member
        if member is not None:
            return member  # type: ignore[return-value]
    if isinstance(value, enum.Enum):  # a sibling enum with the same wire values, e.g. ExchangeCode for ExchangeId
        value = value.value
    by_text, by_name = _forms(cls)
    if not isinstance(value, bool) and not _too_big(value):
        member = by_text.get(str(value).strip())
        if member is not None:
            return member
    if isinstance(value, str):
        member = by_name.get(value.strip().upper().replace("-", "_"))
        if member is not None:
            return member
    choices = ", ".join(member.name.lower() for member in cls)
    raise ValidationError(field, f"{_shown(value)} is not one of {choices}")


_FORMS: dict[type[enum.Enum], tuple[dict[str, Any], dict[str, Any]]] = {}


def _forms(cls: type[E]) -> tuple[dict[str, E], dict[str, E]]:
    """The members of ``cls`` by the text of their wire value (the first member, should two share one) and by
    name (aliases too), made once per enum: a CSV row gives ``register_source`` as text, and walking the members
    (or ``__members__``, a new proxy each time) on every row cost 15k-53k instructions."""
    forms = _FORMS.get(cls)
    if forms is None:
        by_text: dict[str, Any] = {}
        for member in cls:
            by_text.setdefault(str(member.value), member)
        forms = _FORMS[cls] = (by_text, dict(cls.__members__))
    return forms


def one_of(cls: type[E]) -> Callable[[Any, str], E]:
    """The check :func:`choice` for one enum."""

    def check(value: Any, field: str) -> E:
        return choice(cls, value, field)

    return check


def millis(value: Any, field: str) -> int:
    """Epoch milliseconds from an aware datetime or an int of milliseconds."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:  # a naive time could be local or UTC: guessing shifts the window by hours
            raise ValidationError(field, "must be a timezone-aware datetime (tzinfo=timezone.utc), not a naive one")
        return to_millis(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_INT:
        raise ValidationError(field, f"must be a datetime or epoch milliseconds, not {_shown(value)}")
    return value
