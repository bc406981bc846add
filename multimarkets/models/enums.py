"""Enums for every documented code (reference §6, §7.1). Values are exactly what travels on the wire.

A code the service sends that an enum does not list yet is read as a stand-in member of that enum (see
:func:`unknown_member`) named ``UNKNOWN``, whose ``value`` is the code as sent.
"""

from __future__ import annotations

import enum
import threading
from typing import Any, TypeVar

__all__ = [
    "AccountKind",
    "AccountStatus",
    "AccountType",
    "ConfigStatus",
    "CustomerGroupType",
    "CustomerStatus",
    "CustomerType",
    "DepositStatus",
    "ExchangeCode",
    "ExchangeId",
    "KycStatus",
    "MessageType",
    "OpenAccountType",
    "OrderStatus",
    "OrderType",
    "RegisterSource",
    "Side",
    "TimeInForce",
    "unknown_member",
]

E = TypeVar("E", bound=enum.Enum)

_unknown: dict[tuple[type[enum.Enum], Any], enum.Enum] = {}
_unknown_lock = threading.Lock()


def unknown_member(cls: type[E], value: Any) -> E:
    """A stand-in member of ``cls`` for a code it does not list: ``name`` ``"UNKNOWN"``, ``value`` the code.

    It compares equal to its code like the real members do (``OrderStatus``' stand-in for ``"9"`` equals
    ``"9"``), so code that branches on known members keeps working and the new code stays visible. One
    stand-in per code, so ``is`` works too. ``value`` must already be of the enum's wire type (int or str).
    """
    with _unknown_lock:
        member = _unknown.get((cls, value))
        if member is None:
            new: Any = int.__new__ if issubclass(cls, int) else str.__new__
            member = new(cls, value)
            member._name_ = "UNKNOWN"
            member._value_ = value
            _unknown[(cls, value)] = member
    return member  # type: ignore[return-value]


class RegisterSource(enum.IntEnum):
    """Where a customer registered (``registerSource``, §6.5)."""

    H5 = 1
    PC_WEB = 2
    SYSTEM = 3
    ANDROID = 4
    IOS = 5
    HOS = 6
    PC_WIN = 7
    PC_MAC = 8
    OTHER = 9


class CustomerStatus(enum.IntEnum):
    """Customer ``status`` (§6.6)."""

    NORMAL = 1
    DISABLED = 2
    DELETED = 3
    CANCELLED = 4
    LOCKED = 5
    CANCELLING = 6


class CustomerType(enum.IntEnum):
    """Customer ``customerType`` (§6.6)."""

    DEFAULT = 0
    AGENT = 1
    CREDIT = 2
    ACTIVITY_SETTLEMENT = 3


class OpenAccountType(enum.IntEnum):
    """``openAccountType`` (§6.6)."""

    INDIVIDUAL = 0
    ENTERPRISE = 1


class ExchangeId(str, enum.Enum):
    """``exchangeId`` in trading calls (§6)."""

    BINANCE = "binance"
    OKX = "okx"


class ExchangeCode(str, enum.Enum):
    """``exchangeCode`` in account management (§6.9)."""

    BINANCE = "binance"
    OKX = "okx"
    CUMBERLAND = "cumberland"


class AccountType(str, enum.Enum):
    """``accountType`` of an exchange account (§6.9)."""

    SPOT = "spot"
    FUTURES = "futures"


class OrderType(enum.IntEnum):
    """Order ``bizType`` (§6.17)."""

    MARKET = 1
    LIMIT = 2


class Side(enum.IntEnum):
    """Order ``direction`` (§6.17)."""

    BUY = 1
    SELL = 2


class TimeInForce(str, enum.Enum):
    """``timeInForce`` of a limit order (§6.17)."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(str, enum.Enum):
    """Order ``status`` (§7.1); a string on the wire."""

    SUBMITTED = "1"
    FILLED = "2"
    PARTIALLY_FILLED = "3"
    CANCELLED = "4"
    CANCELLED_BY_PLATFORM = "5"
    REJECTED = "6"
    EXPIRED = "7"

    @property
    def is_final(self) -> bool:
        """True once the order can no longer change (False for a status code this SDK does not know)."""
        return self.name in ("FILLED", "CANCELLED", "CANCELLED_BY_PLATFORM", "REJECTED", "EXPIRED")


class DepositStatus(str, enum.Enum):
    """Deposit record ``status`` (§6.14); a string on the wire."""

    WAITING_FOR_DEPOSIT = "1"
    FUNDS_MAY_BE_FROZEN = "2"
    WAITING_FOR_CUSTOMER_CONFIRMATION = "3"
    WAITING_FOR_PLATFORM_CONFIRMATION = "4"
    FAILED = "5"
    COMPLETED = "6"


class MessageType(str, enum.Enum):
    """Trade notification message types (§7.1)."""

    ORDER_EXEC_REPORT = "ORDER_EXEC_REPORT"
    ORDER_CANCEL_REPORT = "ORDER_CANCEL_REPORT"
    ORDER_EXPIRED_REPORT = "ORDER_EXPIRED_REPORT"
    QUOTE_TAG = "QUOTE_TAG"


class ConfigStatus(enum.IntEnum):
    """``status`` of a dictionary item or a currency (§6.1, §6.2)."""

    ENABLED = 1
    DISABLED = 2
    DELETED = 3


class KycStatus(enum.IntEnum):
    """``kycAuditStatus`` of a customer (§6.7)."""

    NOT_CERTIFIED = 0
    PENDING = 1
    PASSED = 2
    REJECTED = 3


class CustomerGroupType(enum.IntEnum):
    """``type`` of a customer's group in the customer detail (§6.7)."""

    REAL = 0
    DEMO = 1
    GUEST = 2


class AccountStatus(enum.IntEnum):
    """``status`` and ``activateStatus`` of a Manager trading account (manager-api §5.9)."""

    UNAVAILABLE = 1
    AVAILABLE = 2


class AccountKind(enum.IntEnum):
    """``type`` of a Manager trading account: who holds it (manager-api §5.9)."""

    USER = 1
    MERCHANT = 2
    PLATFORM = 3
