"""The Manager API (B-side, ``{host}/openapi-b``): white-label back office on the same core as the Bridge client.

What differs from the Bridge API lives in one module each: the token (:mod:`.tokens`), the MD5 signature
inside the body (:mod:`.signing`), the optional RSA body encryption (:mod:`.encryption`), and how the request
loop uses them (:mod:`.scheme`). Names load on first use, like the package's.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._sync.manager.client import ManagerClient
    from .client import AsyncManagerClient
    from .config import MANAGER_PRODUCTION_URL, MANAGER_TEST_URL, ManagerCredentials
    from .models import CustomerGroup, DetailType, ManagerAccount, TradeTypeCurrencies

_SOURCES = {
    "multimarkets._sync.manager.client": "ManagerClient",
    ".client": "AsyncManagerClient",
    ".config": "MANAGER_PRODUCTION_URL MANAGER_TEST_URL ManagerCredentials",
    ".models": "CustomerGroup DetailType ManagerAccount TradeTypeCurrencies",
}
_WHERE = {name: module for module, names in _SOURCES.items() for name in names.split()}

__all__ = [
    "MANAGER_PRODUCTION_URL",
    "MANAGER_TEST_URL",
    "AsyncManagerClient",
    "CustomerGroup",
    "DetailType",
    "ManagerAccount",
    "ManagerClient",
    "ManagerCredentials",
    "TradeTypeCurrencies",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
