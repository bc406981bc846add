"""Enums for every documented code (reference §6, §7.1). Values are exactly what travels on the wire."""

from __future__ import annotations

import enum

__all__ = [
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
]


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
        """True once the order can no longer change."""
        return self not in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)


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
