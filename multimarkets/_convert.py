"""The one cattrs converter: snake_case attrs models <-> camelCase wire JSON.

Rules kept here and nowhere else:
- field names are camelCased on the wire unless a field sets ``metadata={"wire": "name"}``; a field with
  ``metadata={"inline": True}`` holds a model whose fields are sent at the top level of the body;
- ``None`` fields are left out of request bodies (the signature drops nulls too);
- ``Decimal`` travels as an exact string; ``datetime`` as UTC epoch milliseconds;
- enums travel as their value;
- a response model may declare ``raw: Mapping[str, Any]``: it receives the whole wire object, so fields
  the SDK does not model yet (and the exact wire values) stay reachable, and unknown fields never break parsing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ResponseFormatError
from .models import enums as _enums

__all__ = ["bad_data", "converter", "from_millis", "structure", "to_millis", "to_wire"]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=False)


def camel(name: str) -> str:
    """``customer_group_id`` -> ``customerGroupId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def from_millis(value: int | str) -> datetime:
    """UTC-aware datetime from epoch milliseconds (exact to the microsecond)."""
    millis = int(value)
    return datetime.fromtimestamp(millis // 1000, tz=timezone.utc).replace(microsecond=(millis % 1000) * 1000)


def to_millis(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _structure_decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not a decimal: {value!r}") from None
    if not number.is_finite():
        # NaN and Infinity would poison every sum and comparison made with them downstream.
        raise ValueError(f"not a finite amount: {value!r}")
    return number


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value
    return from_millis(value)


converter.register_structure_hook(Decimal, _structure_decimal)
# Plain notation: str() would give "1E-8", which the exchanges behind the service reject.
converter.register_unstructure_hook(Decimal, lambda value: format(value, "f"))
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(datetime, to_millis)


def _wire_name(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata.get("wire", camel(field.name)))


def _attrs_class(cls: Any) -> Any:
    """The attrs class itself, also for a parametrised generic such as ``Page[Customer]``."""
    return get_origin(cls) or cls


def _is_model(cls: Any) -> bool:
    origin = _attrs_class(cls)
    return isinstance(origin, type) and attrs.has(origin)


def _make_unstructure(cls: type[Any]) -> Any:
    fields = attrs.fields(_attrs_class(cls))
    inline = [f.name for f in fields if f.metadata.get("inline")]
    overrides = {
        f.name: override(omit=True) if f.name == "raw" or f.name in inline else override(rename=_wire_name(f))
        for f in fields
    }
    base = make_dict_unstructure_fn(cls, converter, **overrides)  # type: ignore[arg-type]

    def unstructure(obj: Any) -> dict[str, Any]:
        result = base(obj)
        for name in inline:
            result.update(converter.unstructure(getattr(obj, name)))
        return {k: v for k, v in result.items() if v is not None}

    return unstructure


def _make_structure(cls: type[Any]) -> Any:
    fields = attrs.fields_dict(_attrs_class(cls))
    overrides = {name: override(rename=_wire_name(f)) for name, f in fields.items() if name != "raw"}
    if "raw" in fields:
        overrides["raw"] = override(omit=True)
    base = make_dict_structure_fn(cls, converter, **overrides)  # type: ignore[arg-type]
    if "raw" not in fields:
        return base

    def structure_with_raw(data: Mapping[str, Any], target: type[Any]) -> Any:
        obj = base(data, target)
        return attrs.evolve(obj, raw=dict(data))

    return structure_with_raw


converter.register_unstructure_hook_factory(_is_model, _make_unstructure)
converter.register_structure_hook_factory(_is_model, _make_structure)


def _is_enum(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, enum.Enum)


def _enum_value(member: enum.Enum) -> Any:
    return member.value


def _make_enum_structure(cls: type[enum.Enum]) -> Any:
    def structure_enum(value: Any, _: type) -> enum.Enum:
        try:
            return cls(value)
        except ValueError:
            # Numeric codes sometimes arrive as strings ("2") and sometimes as numbers (2).
            for member in cls:
                if str(member.value) == str(value):
                    return member
            raise

    return structure_enum


converter.register_structure_hook_factory(_is_enum, _make_enum_structure)
# Enums that also subclass str or int would otherwise be caught by the plain str/int hooks first.
for _name in _enums.__all__:
    _enum_class = getattr(_enums, _name)
    converter.register_structure_hook(_enum_class, _make_enum_structure(_enum_class))
    converter.register_unstructure_hook(_enum_class, _enum_value)


def to_wire(obj: Any) -> dict[str, Any]:
    """The JSON body for a request model: camelCase keys, no nulls, exact decimals."""
    result = converter.unstructure(obj)
    if not isinstance(result, dict):
        raise TypeError(f"{type(obj).__name__} does not unstructure to an object")
    return result


def bad_data(detail: str, *, biz_type: str | None, trace: str | None) -> ResponseFormatError:
    """The error for a success envelope whose ``data`` is not what the endpoint answers."""
    # HTTP 200: the retry policy counts it as "the server acted, the answer is lost", never as not sent.
    return ResponseFormatError(
        f"unexpected response data {detail}", code="BAD_DATA", trace=trace, biz_type=biz_type, http_status=200
    )


def structure(data: Any, cls: type[T], *, biz_type: str | None = None, trace: str | None = None) -> T:
    """Turn the ``data`` of a response into ``cls``; a mismatch raises :class:`ResponseFormatError`."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        detail = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, cattrs.BaseValidationError) else str(exc)
        raise bad_data(f"for {getattr(cls, '__name__', cls)}: {detail}", biz_type=biz_type, trace=trace) from exc
