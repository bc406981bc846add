"""Dictionaries, company currencies and products (reference §5.2-§5.4), from :mod:`.samples`.

``companyId`` in the body, where the spec has it, must be the caller's company (``GGATEWAY_CODE_019``).
"""

from __future__ import annotations

from typing import Any

from ..handlers._validate import optional_int, optional_str, require_str
from . import codes
from .context import Endpoint, ManagerContext, biz_error
from .samples import CURRENCIES, PRODUCTS, dictionary

__all__ = ["ENDPOINTS"]


def _check_company(ctx: ManagerContext, company_id: str | None) -> None:
    if company_id is not None and company_id != str(ctx.company_id):
        raise biz_error(codes.NO_ACCESS)


async def dictionaries(ctx: ManagerContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """``getListByParentCode``: the items under ``parentCode``."""
    return [dict(row) for row in dictionary(require_str(body, "parentCode"))]


async def currencies(ctx: ManagerContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """``getAssetsList``: the company's currencies."""
    _check_company(ctx, optional_str(body, "companyId"))
    return [dict(row) for row in CURRENCIES]


async def products(ctx: ManagerContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """``getSymbolByCompanyId``: the company's products, optionally of one ``tradeType``."""
    _check_company(ctx, require_str(body, "companyId"))
    trade_type = optional_int(body, "tradeType")
    return [dict(row) for row in PRODUCTS if trade_type is None or row["tradeType"] == trade_type]


ENDPOINTS: dict[str, Endpoint] = {
    "config.admin.AdminDictDubboService.getListByParentCode": Endpoint(dictionaries, token_required=False),
    "config.admin.AdminAssetsDubboService.getAssetsList": Endpoint(currencies),
    "config.admin.AdminSymbolDubboService.getSymbolByCompanyId": Endpoint(products),
}
