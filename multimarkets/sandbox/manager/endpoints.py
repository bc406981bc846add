"""Every Manager bizType the sandbox serves, one module per domain (the auth call is served apart)."""

from __future__ import annotations

from .catalog import ENDPOINTS as _CATALOG
from .context import Endpoint
from .customers import ENDPOINTS as _CUSTOMERS
from .funds import ENDPOINTS as _FUNDS

__all__ = ["ENDPOINTS"]

ENDPOINTS: dict[str, Endpoint] = {**_CATALOG, **_CUSTOMERS, **_FUNDS}
