"""Python SDK for the MultiMarkets Bridge API."""

from typing import TYPE_CHECKING

from ._logs import setup_logging
from ._sync import BridgeClient, SyncUsageError
from ._version import __version__
from .client import AsyncBridgeClient
from .config import PRODUCTION_URL, TEST_URL, Credentials, RateLimit
from .errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConnectionError,
    CustomerExistsError,
    InvalidParameterError,
    IPBannedError,
    MultiMarketsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ResponseFormatError,
    ServerError,
    SignatureError,
    TimeoutError,
    TimestampError,
    TransportError,
    UnknownBizTypeError,
    ValidationError,
    WebhookError,
    WebhookFormatError,
    WebhookSignatureError,
    WebhookTimestampError,
)
from .models.accounts import Account
from .models.catalog import Currency, DictionaryItem, HolidayWindow, Product, TradingWindow
from .models.customers import Customer, CustomerDetail, CustomerRegistration, RegisterSource
from .models.enums import (
    AccountType,
    ConfigStatus,
    CustomerGroupType,
    CustomerStatus,
    CustomerType,
    DepositStatus,
    ExchangeCode,
    ExchangeId,
    KycStatus,
    OpenAccountType,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from .models.paging import Page
from .models.trading import Balance, Deposit, Order, OrderRef, Trade, TradingAccount
from .signing import RsaSha1Signer, Signer

if TYPE_CHECKING:
    from .bulk import BulkReport, JournalError, RowOutcome, RowResult

_BULK_NAMES = frozenset({"BulkReport", "JournalError", "RowOutcome", "RowResult"})


def __getattr__(name: str) -> object:
    # Bulk registration, and with it sqlite3 and csv, loads on first use instead of with the package.
    if name in _BULK_NAMES:
        from . import bulk

        return getattr(bulk, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PRODUCTION_URL",
    "TEST_URL",
    "APIError",
    "Account",
    "AccountType",
    "AsyncBridgeClient",
    "AuthenticationError",
    "Balance",
    "BridgeClient",
    "BulkReport",
    "ConfigStatus",
    "ConfigurationError",
    "ConnectionError",
    "Credentials",
    "Currency",
    "Customer",
    "CustomerDetail",
    "CustomerExistsError",
    "CustomerGroupType",
    "CustomerRegistration",
    "CustomerStatus",
    "CustomerType",
    "Deposit",
    "DepositStatus",
    "DictionaryItem",
    "ExchangeCode",
    "ExchangeId",
    "HolidayWindow",
    "IPBannedError",
    "InvalidParameterError",
    "JournalError",
    "KycStatus",
    "MultiMarketsError",
    "NotFoundError",
    "OpenAccountType",
    "Order",
    "OrderRef",
    "OrderStatus",
    "OrderType",
    "Page",
    "PermissionDeniedError",
    "Product",
    "RateLimit",
    "RateLimitError",
    "RedirectError",
    "RegisterSource",
    "ResponseFormatError",
    "RowOutcome",
    "RowResult",
    "RsaSha1Signer",
    "ServerError",
    "Side",
    "SignatureError",
    "Signer",
    "SyncUsageError",
    "TimeInForce",
    "TimeoutError",
    "TimestampError",
    "Trade",
    "TradingAccount",
    "TradingWindow",
    "TransportError",
    "UnknownBizTypeError",
    "ValidationError",
    "WebhookError",
    "WebhookFormatError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "__version__",
]

setup_logging()
