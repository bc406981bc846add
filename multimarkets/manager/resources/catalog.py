"""``manager.catalog``: dictionaries, the company's currencies and its products (reference manager-api §5.2-5.4)."""

from __future__ import annotations

from ...models.catalog import CurrenciesRequest, Currency, DictionaryItem, DictionaryRequest, ProductsRequest
from ...resources._base import AsyncResource
from ...resources.catalog import CURRENCIES, DICTIONARIES, PRODUCTS
from ..models import ManagerProduct
from ..scheme import ManagerScheme

__all__ = ["AsyncManagerCatalog"]


class AsyncManagerCatalog(AsyncResource):
    """Basic and product data: read-only look-ups (the same bizTypes and shapes as the Bridge API's)."""

    __slots__ = ()

    async def dictionaries(self, parent_code: str) -> list[DictionaryItem]:
        """Entries of one dictionary: ``"phone_code"``, ``"register_source"``, ``"bank_code"``, or a currency code
        such as ``"USDT"`` for its chains."""
        return await self._post(DICTIONARIES, DictionaryRequest(parent_code=parent_code), list[DictionaryItem])

    async def currencies(self) -> list[Currency]:
        """The currencies this company may use, with their ids and decimal places (``digits``)."""
        request = CurrenciesRequest(company_id=await _company_id(self))
        return await self._post(CURRENCIES, request, list[Currency])

    async def products(self, trade_type: int | None = None) -> list[ManagerProduct]:
        """The company's products, optionally of one trading mode (``trade_type``)."""
        request = ProductsRequest(company_id=await _company_id(self), trade_type=trade_type)
        return await self._post(PRODUCTS, request, list[ManagerProduct])


async def _company_id(resource: AsyncResource) -> str:
    """The company id the auth call answered (fetching a token first if there is none yet)."""
    scheme = resource._session.scheme
    if not isinstance(scheme, ManagerScheme):
        raise TypeError("a Manager resource needs a Manager session")
    return (await scheme.tokens.get()).company_id
