"""Basic and product data (reference §6.1-§6.3): fixed, seeded tables shared by every company.

Choices where the reference is silent:

- Dictionaries: ``phone_code``, ``register_source``, ``bank_code`` and the chains of ``USDT``, ``BTC`` and
  ``ETH``; an unknown ``parentCode`` answers an empty list (as a lookup by parent would).
- Currencies: USDT (id 13, 4 digits), BTC (id 16, 8 digits), ETH (id 100, 6 digits), BNB (id 101, 8 digits),
  as documented for the first three.
- Products: the Bridge spot pairs (``tradeType`` 10) BTCUSDT (symbolId 59), ETHUSDT (60) and ETHBTC (61) that
  trading calls take, plus one CFD product (``tradeType`` 1) so that the ``tradeType`` filter has work to do.
  ``companyId`` in the body must be the caller's company.
- Rows have exactly the keys and JSON types of the documented samples (the Manager API's extra audit fields,
  ``nameEn``, ``revision``, ``createBy`` ..., are not sent).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from ..context import Handler, RequestContext
from ._validate import invalid, optional_int, optional_str, require_str

__all__ = ["CURRENCIES", "HANDLERS", "PRODUCTS", "ProductSpec", "currency_digits", "product"]

_EPOCH_2024 = 1_704_067_200_000
"""Creation time of the seeded rows (2024-01-01T00:00:00Z)."""
_NEW_YEARS_EVE_2023 = _EPOCH_2024 - 86_400_000
"""The one (past) holiday of every product, as in the documented sample: it never stops trading now."""

_DICTIONARIES: dict[str, list[tuple[str, str]]] = {
    "phone_code": [
        ("+86", "China"),
        ("+852", "Hong Kong"),
        ("+886", "Taiwan"),
        ("+65", "Singapore"),
        ("+1", "United States"),
        ("+44", "United Kingdom"),
        ("+81", "Japan"),
        ("+971", "United Arab Emirates"),
    ],
    "register_source": [
        ("1", "H5"),
        ("2", "PC_Web"),
        ("3", "System"),
        ("4", "Android"),
        ("5", "iOS"),
        ("6", "HOS"),
        ("7", "PC_Win"),
        ("8", "PC_Mac"),
        ("9", "Other"),
    ],
    "bank_code": [
        ("ICBC", "Industrial and Commercial Bank of China"),
        ("BOC", "Bank of China"),
        ("HSBC", "HSBC"),
        ("DBS", "DBS Bank"),
        ("SCB", "Standard Chartered"),
    ],
    "USDT": [("Tron(TRC20)", "Tron"), ("Ethereum(ERC20)", "Ethereum"), ("BNB Smart Chain(BEP20)", "BSC")],
    "BTC": [("Bitcoin", "Bitcoin")],
    "ETH": [("Ethereum(ERC20)", "Ethereum")],
}


def _dictionary_rows() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    next_id = 1000
    for parent_id, (parent, items) in enumerate(_DICTIONARIES.items(), start=400):
        rows[parent] = []
        for sort, (code, name) in enumerate(items, start=1):
            next_id += 1
            rows[parent].append(
                {
                    "id": next_id,
                    "parentId": parent_id,
                    "parentCode": parent,
                    "code": code,
                    "name": name,
                    "displayName": name,
                    "sort": sort,
                    "status": 1,
                    "hasLeaf": 0,
                    "createTime": _EPOCH_2024,
                    "updateTime": _EPOCH_2024,
                }
            )
    return rows


_DICTIONARY_ROWS = _dictionary_rows()

CURRENCIES: dict[str, tuple[int, int]] = {"USDT": (13, 4), "BTC": (16, 8), "ETH": (100, 6), "BNB": (101, 8)}
"""Currency code -> (id, digits)."""


def currency_digits(code: str) -> int:
    """Decimal places of a seeded currency."""
    return CURRENCIES[code][1]


@attrs.frozen
class ProductSpec:
    """One seeded product and what the market simulation needs to know about it."""

    symbol_id: int
    code: str
    base: str
    quote: str
    trade_type: int
    price_digits: int
    start_price: Decimal
    liquidity: Decimal
    """Base quantity a resting limit order can fill per market tick: bigger orders fill in parts."""
    min_notional: Decimal
    """Smallest order value in the quote currency (Binance: 5 USDT)."""


PRODUCTS: dict[int, ProductSpec] = {
    p.symbol_id: p
    for p in (
        ProductSpec(59, "BTCUSDT", "BTC", "USDT", 10, 2, Decimal("60000"), Decimal("0.5"), Decimal("5")),
        ProductSpec(60, "ETHUSDT", "ETH", "USDT", 10, 2, Decimal("3000"), Decimal("10"), Decimal("5")),
        ProductSpec(61, "ETHBTC", "ETH", "BTC", 10, 6, Decimal("0.05"), Decimal("10"), Decimal("0.0001")),
        ProductSpec(12, "XAUUSD", "XAU", "USD", 1, 2, Decimal("2300"), Decimal("100"), Decimal("1")),
    )
}
"""symbolId -> product."""


def product(symbol_id: int) -> ProductSpec | None:
    """The seeded product ``symbol_id``, if any."""
    return PRODUCTS.get(symbol_id)


def _company(ctx: RequestContext, body: dict[str, Any], *, required: bool) -> None:
    company = require_str(body, "companyId") if required else optional_str(body, "companyId")
    if company is not None and company != ctx.company_id:
        raise invalid("companyId", "is not the caller's company")


async def dictionaries(ctx: RequestContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of one dictionary."""
    return list(_DICTIONARY_ROWS.get(require_str(body, "parentCode"), []))


async def currencies(ctx: RequestContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The company's currencies (every company has the seeded ones)."""
    _company(ctx, body, required=False)
    return [
        {
            "id": currency_id,
            "strId": str(currency_id),
            "code": code,
            "name": code,
            "displayName": code,
            "digits": digits,
            "type": 1,
            "status": 1,
            "initState": 2,
            "fundId": 147,
            "bizName": "ASSETS",
        }
        for code, (currency_id, digits) in CURRENCIES.items()
    ]


def _product_row(p: ProductSpec) -> dict[str, Any]:
    return {
        "tradeType": p.trade_type,
        "symbolId": p.symbol_id,
        "symbolCode": p.code,
        "symbolName": f"{p.base}/{p.quote}",
        "baseCurrency": p.base,
        "profitCurrency": p.quote,
        "customerGroupIds": "1,2,3",
        "symbolGroupIds": "118",
        "symbolDigits": p.price_digits,
        "askSpread": "0",
        "bidSpread": "0",
        "pointRatio": "1",
        "dealMode": 1,
        "etf": False,
        "fundId": 147,
        "labels": "",
        "sortNum": p.symbol_id,
        "enableShortLoan": False,
        "enableLongLoan": False,
        "dividend": False,
        "inHolidayTime": 0,
        "inTradeTime": 1,
        "holidayTimeList": [{"startTime": _NEW_YEARS_EVE_2023, "endTime": _EPOCH_2024 - 1}],
        "tradeTimeList": [{"dayOfWeek": day, "startTime": 0, "endTime": 86_400} for day in range(1, 8)],
    }


async def products(ctx: RequestContext, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The company's products, optionally of one ``tradeType``."""
    _company(ctx, body, required=True)
    trade_type = optional_int(body, "tradeType", low=0)
    return [_product_row(p) for p in PRODUCTS.values() if trade_type is None or p.trade_type == trade_type]


HANDLERS: dict[str, Handler] = {
    "config.admin.AdminDictDubboService.getListByParentCode": dictionaries,
    "config.admin.AdminAssetsDubboService.getAssetsList": currencies,
    "config.admin.AdminSymbolDubboService.getSymbolByCompanyId": products,
}
