"""Input rows of a bulk registration: read lazily from any (async) iterable, validated, fingerprinted."""

from __future__ import annotations

import enum
import hashlib
import json
import json.encoder
import operator
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any, ClassVar, NamedTuple

import attrs

from ..errors import ValidationError
from ..models.customers import AddCustomerRequest, CustomerRegistration, mapping_request

__all__ = [
    "DEFAULT_AREA",
    "InvalidRow",
    "PreparedRow",
    "RowInput",
    "Rows",
    "ValidRow",
    "digest_of",
    "email_key",
    "phone_key",
    "prepare",
]

RowInput = CustomerRegistration | Mapping[str, Any]
"""One input row: a registration model, or a mapping with the same field names (e.g. a CSV row)."""

Rows = Iterable[RowInput] | AsyncIterable[RowInput]
"""Bulk input: any iterable or async iterable of rows, consumed lazily."""

DEFAULT_AREA = "+86"
"""The area code the service assumes when a registration gives none (reference §6.5)."""

# Secrets stay out of the fingerprint: the journal is a plain file, and a changed password does not change
# who gets registered.
_NOT_FINGERPRINTED = frozenset({"password", "password_md5"})

# What a valid row's request sends but its password and remark, with how its fingerprint formats each
# (_request_digest; tests check that every field of the request is there, or is the password or the remark).
_SENT_FIELDS = (
    ("register_source", "%d"),
    ("country", "%s"),
    ("customer_group_id", "%d"),
    ("phone", "%s"),
    ("email", "%s"),
    ("phone_area", "%s"),
    ("email_area", "%s"),
)
_SENT = operator.attrgetter(*(name for name, _ in _SENT_FIELDS))
_SENT_TEXT = "\x1f".join(spec for _, spec in _SENT_FIELDS)


class ValidRow(NamedTuple):
    """An input row checked locally, with the ``request`` to send. Its e-mail and phone are its request's.

    A named tuple, not an attrs class: one is made for nearly every row, and a tuple costs half as much to make.
    """

    position: int
    """0-based position in the input."""
    digest: str
    request: AddCustomerRequest
    keys: tuple[str, ...]
    """The natural keys the service rejects duplicates on (e-mail key, phone key): see :class:`~.turns.Turns`."""

    @property
    def error(self) -> None:
        """None: the row is valid."""
        return None

    @property
    def email(self) -> str | None:
        """The request's e-mail."""
        return self.request.email

    @property
    def phone(self) -> str | None:
        """The request's phone."""
        return self.request.phone

    @property
    def phone_key(self) -> str | None:
        """The request's phone as the service compares phones (see :func:`phone_key`)."""
        return phone_key(self.request.phone_area, self.request.phone)


@attrs.frozen
class InvalidRow:
    """An input row that fails the local checks: the ``error`` that makes it invalid; it is never sent."""

    position: int
    """0-based position in the input."""
    digest: str
    email: str | None
    phone: str | None
    phone_key: str | None
    error: ValidationError
    keys: ClassVar[tuple[str, ...]] = ()
    """Empty: an invalid row is never sent, so it waits for no other row, nor any row for it."""


PreparedRow = ValidRow | InvalidRow
"""An input row checked locally (one class each way: a valid row, made for nearly every row, holds only what
it needs)."""


def _canonical(value: Any) -> str | None:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return None
    try:
        text = str(value).strip()
    except Exception:
        # A run reads only an invalid row's values as text here (its fingerprint, its e-mail and phone), and the
        # row's checks already refused this one: not text (a lazily loaded field whose load failed). Recorded as
        # absent, the row stays invalid and the run goes on, as for any other bad value; raised, it ended the run
        # with a journal (whose fingerprint reads every value) and not without one.
        return None
    return text or None


def email_key(email: str | None) -> str | None:
    """How e-mails are compared: the service treats them case-insensitively."""
    return email.strip().lower() if email else None


def phone_key(area: str | None, phone: str | None) -> str | None:
    """How phones are compared: the service's phone uniqueness is per area code (``+86`` when not given)."""
    if not phone:
        return None
    return f"{(area or DEFAULT_AREA).strip().lstrip('+')} {phone.strip()}"


def digest_of(fields: Mapping[str, Any]) -> str:
    """A fingerprint of a row's fields (passwords excluded) that identifies it across runs; a valid row's is
    taken from its request instead."""
    pairs = []
    for name, value in fields.items():
        if name in _NOT_FINGERPRINTED:
            continue  # a secret is not even read
        text = _canonical(value)
        if text is not None:
            pairs.append((str(name), text))
    pairs.sort()
    # JSON quotes and escapes every string, so no value can pass for a field boundary; it escapes the same
    # characters in every Python version (repr's escapes follow the Unicode database, which a Python upgrade
    # between a kill and its resume may change). A list of pairs starts "[[" (or is "[]"), a request's text
    # (_request_digest) with a digit: neither can pass for the other.
    return _hash(_JSON(pairs))


def _request_digest(request: AddCustomerRequest) -> str:
    """A valid row's fingerprint: what its request sends, the password aside; cheaper than :func:`digest_of`,
    whose values the request already holds checked."""
    # The fields joined by U+001F, which no field of a valid request holds (country two letters, the rest digits,
    # an e-mail, text without control characters), formatted the same by every Python version: the two ints and
    # the IntEnum by %d (its value; str() of an IntEnum changed in 3.11), texts as they are. An absent field is
    # "None", which only the remark could also be: an absent remark adds no field at all. The text starts with
    # a digit, never "[" like digest_of's JSON, so neither can pass for the other. A %-format over one
    # attrgetter's tuple instead of a JSON encoding of a list: 16.3k -> 12.0k instructions per row.
    text = _SENT_TEXT % _SENT(request)
    remark = request.remark
    if remark is not None:
        text = f"{text}\x1f{remark}"
    return _hash(text)


def _encoder() -> Callable[[list[Any]], str]:
    """``json.JSONEncoder(ensure_ascii=False).encode`` for a list, with the C encoder made once: ``encode`` makes
    it anew on every call through ``iterencode`` (3.2 us of a row's 3.7 us fingerprint). Same text: the same
    arguments, but no markers for circular references (a fingerprint's list holds only text, numbers and
    pairs)."""
    options = json.JSONEncoder(ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return options.encode
    separators = (options.key_separator, options.item_separator)
    encode = make(None, options.default, json.encoder.encode_basestring, None, *separators, False, False, True)
    return lambda values: "".join(encode(values, 0))


_JSON = _encoder()


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _digest(fields: Mapping[str, Any], fingerprint: bool) -> str:
    return digest_of(fields) if fingerprint else ""


def prepare(position: int, row: object, *, fingerprint: bool = True) -> PreparedRow:
    """Turn one input row into a :class:`PreparedRow`, validating it without sending anything; without
    ``fingerprint`` its digest is left empty (a run without a journal file never compares it)."""
    # A dict (a CSV row, the common case) skips the Mapping check, an ABC's (this runs for every row).
    if type(row) is not dict and not isinstance(row, (Mapping, CustomerRegistration)):
        error = ValidationError("row", f"must be a CustomerRegistration or a mapping, not {type(row).__name__}")
        return InvalidRow(position, _digest({"row": repr(type(row))}, fingerprint), None, None, None, error)
    try:
        request = row.to_request() if isinstance(row, CustomerRegistration) else mapping_request(row)
    except ValidationError as exc:
        return _invalid(position, _fields(row), exc, fingerprint)
    except (TypeError, ValueError) as exc:
        # e.g. a mapping whose values cannot build a registration at all
        return _invalid(position, _fields(row), ValidationError("row", str(exc)), fingerprint)
    # The request holds the e-mail, phone and area code as _canonical makes them: checked, stripped, blank absent;
    # so an e-mail's key is its lower case (email_key).
    email, phone = request.email, request.phone
    keys = () if email is None else (f"e:{email.lower()}",)
    if phone is not None:
        keys = (*keys, f"p:{phone_key(request.phone_area, phone)}")
    # tuple.__new__, as the named tuple's own _make does: its __new__ is a Python function, a frame per row
    return tuple.__new__(ValidRow, (position, _request_digest(request) if fingerprint else "", request, keys))


def _fields(row: Mapping[str, Any] | CustomerRegistration) -> Mapping[str, Any]:
    """The row's fields by name (a registration's are only made when asked for)."""
    return attrs.asdict(row, recurse=False) if isinstance(row, CustomerRegistration) else row


def _invalid(position: int, fields: Mapping[str, Any], error: ValidationError, fingerprint: bool) -> InvalidRow:
    email, phone = _canonical(fields.get("email")), _canonical(fields.get("phone"))
    key = phone_key(_canonical(fields.get("phone_area")), phone)
    return InvalidRow(position, _digest(fields, fingerprint), email, phone, key, error)
