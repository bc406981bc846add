"""``client.catalog``: dictionaries, the company's currencies and its products (reference §6.1-6.3)."""

from __future__ import annotations

from ..models.catalog import (
    CurrenciesRequest,
    Currency,
    DictionaryItem,
    DictionaryRequest,
    Product,
    ProductsRequest,
)
from ._base import AsyncResource

__all__ = ["CURRENCIES", "DICTIONARIES", "PRODUCTS", "AsyncCatalog"]

# ASSUMPTION (reference §6.0 rows 1-3, INFERRED): these bizTypes come from the older draft of the API.
DICTIONARIES = "config.admin.AdminDictDubboService.getListByParentCode"
CURRENCIES = "config.admin.AdminAssetsDubboService.getAssetsList"
PRODUCTS = "config.admin.AdminSymbolDubboService.getSymbolByCompanyId"


class AsyncCatalog(AsyncResource):
    """Basic and product data: read-only look-ups."""

    __slots__ = ()

    async def dictionaries(self, parent_code: str) -> list[DictionaryItem]:
        """Entries of one dictionary: ``"phone_code"`` (area codes), ``"register_source"``, ``"bank_code"``, or a
        currency code such as ``"USDT"`` for its chains. An unknown code gives an empty list."""
        return await self._post(DICTIONARIES, DictionaryRequest(parent_code=parent_code), list[DictionaryItem])

    async def currencies(self) -> list[Currency]:
        """The currencies this company may use, with their ids and decimal places (``digits``)."""
        request = CurrenciesRequest(company_id=self._session.credentials.company_id)
        return await self._post(CURRENCIES, request, list[Currency])

    async def products(self, trade_type: int | None = None) -> list[Product]:
        """The company's products; ``Product.symbol_id`` is what trading calls take. ``trade_type`` filters them."""
        request = ProductsRequest(company_id=self._session.credentials.company_id, trade_type=trade_type)
        return await self._post(PRODUCTS, request, list[Product])
