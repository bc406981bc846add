"""Python SDK for the MultiMarkets Bridge API.

Public names load on first use (PEP 562): ``import multimarkets`` loads next to nothing, the first use of
``AsyncBridgeClient`` or ``BridgeClient`` loads what a call needs, and bulk registration, the sandbox, webhooks
and the CLI load only when used; ``multimarkets --version`` and ``--help`` import none of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._logs import setup_logging
from ._version import __version__

if TYPE_CHECKING:
    from ._client import ClientOptions
    from ._raw import RawResponse
    from ._sync import BridgeClient, SyncUsageError
    from .bulk import BulkReport, JournalError, RowOutcome, RowResult
    from .client import AsyncBridgeClient
    from .config import PRODUCTION_URL, TEST_URL, Credentials, RateLimit
    from .errors import (
        APIConnectionError,
        APIError,
        APITimeoutError,
        AuthenticationError,
        CertificateError,
        ClientClosedError,
        ConfigurationError,
        CustomerExistsError,
        InvalidParameterError,
        IPBannedError,
        LoginExpiredError,
        MultiMarketsError,
        NotFoundError,
        OutcomeUnknownError,
        PermissionDeniedError,
        ProxyAuthenticationError,
        RateLimitError,
        RedirectError,
        ResponseFormatError,
        ServerError,
        SignatureError,
        TimestampError,
        TransportError,
        UnknownBizTypeError,
        ValidationError,
        WebhookError,
        WebhookFormatError,
        WebhookSignatureError,
        WebhookTimestampError,
    )
    from .manager import AsyncManagerClient, ManagerClient, ManagerCredentials
    from .models.accounts import Account
    from .models.catalog import Currency, DictionaryItem, HolidayWindow, Product, TradingWindow
    from .models.customers import Customer, CustomerDetail, CustomerRegistration, RegisterSource
    from .models.enums import (
        AccountKind,
        AccountStatus,
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

# Where each public name is defined: imported on first access.
_SOURCES = {
    "._sync": "BridgeClient SyncUsageError",
    ".bulk": "BulkReport JournalError RowOutcome RowResult",
    ".client": "AsyncBridgeClient",
    ".config": "PRODUCTION_URL TEST_URL Credentials RateLimit",
    ".errors": (
        "APIConnectionError APIError APITimeoutError AuthenticationError CertificateError ClientClosedError "
        "ConfigurationError "
        "CustomerExistsError "
        "InvalidParameterError IPBannedError LoginExpiredError MultiMarketsError NotFoundError "
        "OutcomeUnknownError PermissionDeniedError ProxyAuthenticationError "
        "RateLimitError RedirectError ResponseFormatError ServerError SignatureError "
        "TimestampError TransportError UnknownBizTypeError ValidationError WebhookError WebhookFormatError "
        "WebhookSignatureError WebhookTimestampError"
    ),
    ".manager": "AsyncManagerClient ManagerClient ManagerCredentials",
    ".models.accounts": "Account",
    ".models.catalog": "Currency DictionaryItem HolidayWindow Product TradingWindow",
    ".models.customers": "Customer CustomerDetail CustomerRegistration RegisterSource",
    ".models.enums": (
        "AccountKind AccountStatus AccountType ConfigStatus CustomerGroupType CustomerStatus CustomerType "
        "DepositStatus ExchangeCode ExchangeId KycStatus OpenAccountType OrderStatus OrderType Side TimeInForce"
    ),
    ".models.paging": "Page",
    ".models.trading": "Balance Deposit Order OrderRef Trade TradingAccount",
    "._client": "ClientOptions",
    "._raw": "RawResponse",
    ".signing": "RsaSha1Signer Signer",
}
_WHERE = {name: module for module, names in _SOURCES.items() for name in names.split()}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups do not come here again
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


__all__ = [
    "PRODUCTION_URL",
    "TEST_URL",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "Account",
    "AccountKind",
    "AccountStatus",
    "AccountType",
    "AsyncBridgeClient",
    "AsyncManagerClient",
    "AuthenticationError",
    "Balance",
    "BridgeClient",
    "BulkReport",
    "CertificateError",
    "ClientClosedError",
    "ClientOptions",
    "ConfigStatus",
    "ConfigurationError",
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
    "LoginExpiredError",
    "ManagerClient",
    "ManagerCredentials",
    "MultiMarketsError",
    "NotFoundError",
    "OpenAccountType",
    "Order",
    "OrderRef",
    "OrderStatus",
    "OrderType",
    "OutcomeUnknownError",
    "Page",
    "PermissionDeniedError",
    "Product",
    "ProxyAuthenticationError",
    "RateLimit",
    "RateLimitError",
    "RawResponse",
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
