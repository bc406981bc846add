"""Reading answers into response models: tolerant by default, strict on request.

The docs are thin and the SDK has never met every answer the service can give, so a field that does not fit
its declared type must not fail a call that succeeded on the service's side. Each field is read on its own:

- a value of the documented JSON type is taken as is;
- a value that can be read without guessing (a number sent as a string, a string sent as a number, ``0``/``1``
  for a boolean) is converted, and ``""`` or an unreadable value for an optional field becomes ``None``;
- a code an enum does not list becomes that enum's stand-in member (:func:`~multimarkets.models.enums.unknown_member`),
  so the raw code stays visible;
- every such deviation is logged once per model and field (logger ``multimarkets``), and the model's ``raw``
  keeps the wire object exactly as received; its ``trace`` is the trace of the call that answered it.

Only what a model cannot exist without (a field without a default, e.g. a customer list row's customer
number, a page's records) still raises :class:`~multimarkets.ResponseFormatError`. With ``strict=True`` every
deviation raises, naming the field (our own tests run strict, so drift shows up in CI, not in production).
"""

from __future__ import annotations

import enum
import functools
import logging
import re
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs

from ._convert import bad_data, from_millis, wire_name
from .errors import ResponseFormatError
from .models.enums import unknown_member

__all__ = ["AMOUNT_DIGITS", "deviation", "read"]

T = TypeVar("T")

logger = logging.getLogger("multimarkets")

_INTEGER = re.compile(r"-?[0-9]+")

AMOUNT_DIGITS = 18
"""An amount read from an answer has at most this many digits before the point (it is below 10**18 in size):
room to quantize it to 10 decimal places, and to add it to others, in Python's default 28-digit decimal context.
A larger one (``1E+999999``) is finite yet overflows the first sum or ``quantize``; it is a misfit like NaN."""
_NOTHING = object()
_warned: set[str] = set()


class _Misfit(Exception):
    """A value that is not of its documented type; ``fallback`` is what a tolerant reader keeps instead."""

    def __init__(self, detail: str, fallback: Any = _NOTHING, where: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fallback = fallback
        self.where = where


@attrs.frozen
class _Reading:
    strict: bool
    biz_type: str | None
    trace: str | None

    def fail(self, where: str, detail: str) -> ResponseFormatError:
        return bad_data(f"at {where}: {detail}", biz_type=self.biz_type, trace=self.trace)


def deviation(place: str, detail: str, *, strict: bool, biz_type: str | None, trace: str | None) -> None:
    """Report an answer that deviates from the docs at ``place``: raise under ``strict``, else log it once."""
    if strict:
        raise bad_data(f"at {place}: {detail}", biz_type=biz_type, trace=trace)
    if place not in _warned:
        _warned.add(place)
        logger.warning(
            "answer deviates from the docs: %s (bizType %s, trace %s); this place is not logged again",
            detail,
            biz_type,
            trace,
        )


def _log(misfit: _Misfit, reading: _Reading) -> None:
    # Once per model and field: the detail starts with "Model.field:" (array positions do not count).
    deviation(
        misfit.detail.split(":", 1)[0], misfit.detail, strict=False, biz_type=reading.biz_type, trace=reading.trace
    )


def read(data: Any, cls: type[T], *, strict: bool, biz_type: str | None = None, trace: str | None = None) -> T:
    """``data`` (parsed JSON) as ``cls``: a response model, ``list[Model]``, ``Page[Model]`` or a scalar type."""
    if type(data) is cls and cls in _PLAIN:
        return data  # e.g. a registration's customer number: nothing to plan or check
    reading = _Reading(strict, biz_type, trace)
    try:
        return typing.cast(T, _value(data, cls, "$", reading, {}))
    except _Misfit as misfit:
        if strict or misfit.where is not None or misfit.fallback in (_NOTHING, None):
            raise reading.fail(misfit.where or "$", misfit.detail) from None
        deviation(f"{biz_type} data", misfit.detail, strict=False, biz_type=biz_type, trace=trace)
        return typing.cast(T, misfit.fallback)


def _value(value: Any, tp: Any, where: str, reading: _Reading, typevars: Mapping[Any, Any]) -> Any:
    if isinstance(tp, TypeVar):
        tp = typevars[tp]
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = [arg for arg in get_args(tp) if arg is not type(None)]
        if value is None:
            return None
        if len(options) != 1:
            raise TypeError(f"response models use only X | None unions, not {tp}")
        return _value(value, options[0], where, reading, typevars)
    if tp is Any or origin in (Mapping, dict):
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise _Misfit(f"{_kind(value)} where a list is documented")
        items = [_item(item, get_args(tp)[0], f"{where}[{i}]", reading, typevars) for i, item in enumerate(value)]
        return items if origin is list else tuple(items)
    if attrs.has(origin or tp):
        return _model(value, tp, where, reading)
    return _scalar(value, tp)


def _item(value: Any, tp: Any, where: str, reading: _Reading, typevars: Mapping[Any, Any]) -> Any:
    try:
        return _value(value, tp, where, reading, typevars)
    except _Misfit as misfit:
        misfit.where = misfit.where or where
        raise


def _model(value: Any, tp: Any, where: str, reading: _Reading) -> Any:
    if not isinstance(value, dict):
        raise _Misfit(f"{_kind(value)} where an object is documented")
    cls = get_origin(tp) or tp
    typevars = dict(zip(getattr(cls, "__parameters__", ()), get_args(tp), strict=False))
    values: dict[str, Any] = {}
    for name, wire, hint, optional, required in _plan(cls):
        if name == "raw":
            values["raw"] = dict(value)
            continue
        if name == "trace":
            values["trace"] = reading.trace
            continue
        place = f"{where}.{wire}"
        if wire not in value:
            if required:
                raise _Misfit(f"{cls.__name__}.{name} is missing", where=place)
            continue
        item = value[wire]
        if (item is None and optional) or (hint in _PLAIN and type(item) is hint):
            values[name] = item  # the documented JSON type: nothing to check or convert
            continue
        try:
            values[name] = _value(item, hint, place, reading, typevars)
        except _Misfit as misfit:
            if misfit.where is None:
                misfit.where = place
                misfit.detail = f"{cls.__name__}.{name}: {misfit.detail}"
            if reading.strict:
                raise reading.fail(misfit.where, misfit.detail) from None
            if required and misfit.fallback in (_NOTHING, None):
                raise  # what the model cannot exist without
            _log(misfit, reading)
            if misfit.fallback is not _NOTHING:
                values[name] = misfit.fallback
    return cls(**values)


@functools.cache
def _plan(cls: type[Any]) -> tuple[tuple[str, str, Any, bool, bool], ...]:
    """Per field of a model, once: name, JSON key, type (``X`` of ``X | None``), whether None is allowed, and
    whether it is required (reading a model is the hot path of every answer and every pushed event)."""
    hints = typing.get_type_hints(cls)
    plan = []
    for field in attrs.fields(cls):
        hint, optional = hints[field.name], False
        if get_origin(hint) in (Union, types.UnionType):
            options = [arg for arg in get_args(hint) if arg is not type(None)]
            if len(options) == 1 and len(get_args(hint)) == 2:
                hint, optional = options[0], True
        plan.append((field.name, wire_name(field), hint, optional, field.default is attrs.NOTHING))
    return tuple(plan)


def _kind(value: Any) -> str:
    """The JSON type of ``value``, for messages (values themselves may be personal data)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return '""' if value == "" else "a string"
    return "a list" if isinstance(value, list) else "an object"


def _integer(value: Any) -> int | None:
    """The integer a string of decimal digits spells, or None (also past ``int``'s digit limit)."""
    if not isinstance(value, str) or not _INTEGER.fullmatch(value.strip()):
        return None
    try:
        return int(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar(value: Any, tp: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _code(value, tp)
    if tp is str:
        if isinstance(value, str):
            return value
        if _is_number(value):
            raise _Misfit("a number where the docs send a string", str(value))
    elif tp is bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1, "true", "false"):
            raise _Misfit(f"{_kind(value)} where the docs send a boolean", value in (1, "true"))
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        number = _integer(value)
        if number is not None:
            raise _Misfit("a number sent as a string", number)
    elif tp is Decimal:
        return _decimal(value)
    elif tp is datetime:
        return _time(value)
    else:
        raise TypeError(f"no reading rule for {tp}")
    raise _Misfit(f"{_kind(value)} where the docs send {_WANTED[tp]}", None)


_WANTED = {str: "a string", bool: "a boolean", int: "a number"}
_PLAIN = frozenset(_WANTED)


def _amount(number: Decimal) -> Decimal:
    if not number.is_finite():
        # NaN and Infinity would poison every sum and comparison made with them downstream.
        raise _Misfit("not a finite amount", None)
    if number.adjusted() >= AMOUNT_DIGITS:
        raise _Misfit(f"an amount of 10**{AMOUNT_DIGITS} or more", None)
    return number


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):  # a JSON number its reader parsed exactly: where the docs send numbers (Data Push)
        return _amount(value)
    text = value if isinstance(value, str) else repr(value) if _is_number(value) else None
    try:
        number = Decimal(text) if text is not None else None
    except InvalidOperation:
        number = None
    if number is None:
        raise _Misfit(f"{_kind(value)} where the docs send a decimal string", None)
    _amount(number)
    if not isinstance(value, str):
        raise _Misfit("a number where the docs send a decimal string", number)
    return number


def _time(value: Any) -> datetime:
    number = _integer(value)
    if number is not None:
        raise _Misfit("epoch milliseconds sent as a string", _millis(number))
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Misfit(f"{_kind(value)} where the docs send epoch milliseconds", None)
    return _millis(value)


def _millis(value: int) -> datetime:
    try:
        return from_millis(value)
    except (OverflowError, OSError, ValueError):
        raise _Misfit("epoch milliseconds out of range", None) from None


def _code(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    numeric = issubclass(cls, int)
    number = _integer(value) if numeric else None
    if number is not None:
        raise _Misfit("a code sent as a string", _member(cls, number))
    if not numeric and _is_number(value):
        raise _Misfit("a code sent as a number", _member(cls, str(value)))
    if (numeric and (not isinstance(value, int) or isinstance(value, bool))) or (
        not numeric and not isinstance(value, str)
    ):
        raise _Misfit(f"{_kind(value)} where the docs send a code", None)
    member = _member(cls, value)
    if member.name == "UNKNOWN":
        raise _Misfit(f"code {value!r} is not one of {cls.__name__}'s", member)
    return member


def _member(cls: type[enum.Enum], value: Any) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        return unknown_member(cls, value)
