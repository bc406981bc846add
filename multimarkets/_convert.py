"""The one cattrs converter: snake_case attrs request models -> camelCase wire JSON (answers are read by
:mod:`multimarkets._read`, which shares the naming rules below).

Rules kept here and nowhere else:
- field names are camelCased on the wire unless a field sets ``metadata={"wire": "name"}``; a field with
  ``metadata={"inline": True}`` holds a model whose fields are sent at the top level of the body;
- ``None`` fields are left out of request bodies (the signature drops nulls too);
- ``Decimal`` travels as an exact string; ``datetime`` as UTC epoch milliseconds;
- enums travel as their value;
- a response model may declare ``raw: Mapping[str, Any]``: it receives the whole wire object, so fields
  the SDK does not model yet (and the exact wire values) stay reachable, and unknown fields never break parsing;
  and ``trace: str | None``: the trace of the call that answered it. Neither is ever sent.
"""

from __future__ import annotations

import enum
import operator
import types
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.fns import identity
from cattrs.gen import make_dict_unstructure_fn, override

from ._json import decimal_text
from .errors import ResponseFormatError

__all__ = ["bad_data", "converter", "from_millis", "to_millis", "to_wire", "wire_name"]

converter = cattrs.Converter()


def camel(name: str) -> str:
    """``customer_group_id`` -> ``customerGroupId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The JSON key of a model field."""
    return str(field.metadata.get("wire", camel(field.name)))


def from_millis(value: int | str) -> datetime:
    """UTC-aware datetime from epoch milliseconds (exact to the microsecond)."""
    millis = int(value)
    return datetime.fromtimestamp(millis // 1000, tz=timezone.utc).replace(microsecond=(millis % 1000) * 1000)


def to_millis(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime (request models refuse naive ones before they get here)."""
    delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


converter.register_unstructure_hook(Decimal, decimal_text)
converter.register_unstructure_hook(datetime, to_millis)
# Enums that also subclass str or int would otherwise be caught by the plain str/int hooks first. ``_value_`` is
# what ``.value`` returns, read without ``.value``'s descriptor.
converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), operator.attrgetter("_value_")
)


def _is_plain_optional(tp: Any) -> bool:
    """``X | None`` where ``X`` travels as it is (str, int, bool)."""
    if get_origin(tp) not in (Union, types.UnionType):
        return False
    args = get_args(tp)
    return len(args) == 2 and type(None) in args and all(arg in (str, int, bool, type(None)) for arg in args)


# An optional text or number travels as it is: the generated unstructure functions then read the attribute
# instead of calling a hook per field (cattrs' own optional hook would call one).
converter.register_unstructure_hook_factory(_is_plain_optional, lambda _: identity)


def _is_model(cls: Any) -> bool:
    origin = get_origin(cls) or cls
    return isinstance(origin, type) and attrs.has(origin)


def _make_unstructure(cls: type[Any]) -> Any:
    fields = attrs.fields(get_origin(cls) or cls)
    inline = [f.name for f in fields if f.metadata.get("inline")]
    sent = [f for f in fields if f.name not in ("raw", "trace") and f.name not in inline]
    overrides = {f.name: override(omit=True) for f in fields}
    # A field that defaults to None is left out by the generated code itself when it is None; the others are
    # checked after it, one by one (a comprehension over the whole body cost more, on every call).
    overrides.update({f.name: override(rename=wire_name(f), omit_if_default=f.default is None) for f in sent})
    base = make_dict_unstructure_fn(cls, converter, **overrides)  # type: ignore[arg-type]
    nullable = [wire_name(f) for f in sent if f.default is not None]

    def unstructure(obj: Any) -> dict[str, Any]:
        result = base(obj)
        if None in result.values():  # rare: one scan in C instead of a lookup per field
            for key in nullable:
                if result[key] is None:
                    del result[key]
        for name in inline:  # the inlined model's body comes without nulls already
            result.update(converter.unstructure(getattr(obj, name)))
        return result

    return unstructure


converter.register_unstructure_hook_factory(_is_model, _make_unstructure)


_wire_hooks: dict[type[Any], Callable[[Any], Any]] = {}
"""The converter's hook for each request model sent so far: called directly, without the converter's dispatch
on every request (models are defined, and hooks registered, at import)."""


def to_wire(obj: Any) -> dict[str, Any]:
    """The JSON body for a request model: camelCase keys, no nulls, exact decimals."""
    hook = _wire_hooks.get(type(obj))
    if hook is None:
        hook = _wire_hooks[type(obj)] = converter.get_unstructure_hook(type(obj))
    result = hook(obj)
    if not isinstance(result, dict):
        raise TypeError(f"{type(obj).__name__} does not unstructure to an object")
    return result


def bad_data(detail: str, *, biz_type: str | None, trace: str | None) -> ResponseFormatError:
    """The error for a success envelope whose ``data`` is not what the endpoint answers."""
    # HTTP 200: the retry policy counts it as "the server acted, the answer is lost", never as not sent.
    return ResponseFormatError(
        f"unexpected response data {detail}", code="BAD_DATA", trace=trace, biz_type=biz_type, http_status=200
    )
