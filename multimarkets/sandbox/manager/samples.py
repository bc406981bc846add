"""Fixed catalogue data of the Manager side, built from the documented samples (reference §5.2-§5.4, §5.8).

Rows carry exactly the keys and JSON types of the samples; the values beyond the documented rows are the
sandbox's own. Choices where the reference is silent:

- Dictionaries follow SPEC-EN's shape (the UTGL ``[{name, value}]`` mock is not credible, reference §8.10):
  ``phone_code``, ``register_source``, ``bank_code``, ``Language`` and the chains of ``USDT``; an unknown
  ``parentCode`` answers an empty list.
- Currencies: CNY and GBP as documented, plus USDT (id 13, 4 digits), BTC (16, 8) and ETH (100, 6).
- Products: the two documented rows (USDCHF, GBPUSD, ``tradeType`` 3) plus BTCUSDT and ETHUSDT for the
  contract (1, 2) and spot (5) modes, so that the ``tradeType`` filter has work to do.
- Customer groups: one row per group and trading mode (``{id, name, openAccountType, type, tradeType,
  assets}``): group 1 "Default" (real), 2 "VIP" (real) and 3 "Guest" (type 2, which cannot register).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ASSET_DIGITS", "ASSET_IDS", "CURRENCIES", "DICTIONARIES", "GROUPS", "PRODUCTS", "dictionary"]

_CREATED = 1_704_067_200_000
"""Creation time of the seeded rows (2024-01-01T00:00:00Z)."""


def _dict_row(row_id: int, parent_id: int, parent_code: str, code: str, name: str, sort: int) -> dict[str, Any]:
    return {
        "code": code,
        "displayName": name,
        "updateTime": _CREATED,
        "sort": sort,
        "nameEn": None,
        "parentId": parent_id,
        "revision": 0,
        "extend": "",
        "nameTw": None,
        "createBy": "admin",
        "createTime": _CREATED,
        "parentCode": parent_code,
        "updateBy": "admin",
        "name": name,
        "showType": None,
        "id": row_id,
        "hasLeaf": 0,
        "status": 1,
    }


_SOURCES = ("H5", "PC_Web", "System", "Android", "iOS", "HOS", "PC_Win", "PC_Mac", "Other")

_DICTIONARY_ITEMS: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "USDT": (469, [("Tron(TRC20)", "Tron"), ("Ethereum(ERC20)", "Ethereum")]),
    "phone_code": (100, [("+86", "China"), ("+852", "Hong Kong"), ("+65", "Singapore"), ("+1", "United States")]),
    "register_source": (
        200,
        [(str(code), name) for code, name in enumerate(_SOURCES, start=1)],
    ),
    "bank_code": (300, [("ICBC", "Industrial and Commercial Bank of China"), ("HSBC", "HSBC")]),
    "Language": (162, [("zh-CN", "Simplified Chinese"), ("en-US", "English")]),
}

DICTIONARIES: dict[str, list[dict[str, Any]]] = {
    parent_code: [
        _dict_row(parent_id * 10 + index, parent_id, parent_code, code, name, index + 1)
        for index, (code, name) in enumerate(items)
    ]
    for parent_code, (parent_id, items) in _DICTIONARY_ITEMS.items()
}


def dictionary(parent_code: str) -> list[dict[str, Any]]:
    """The items under ``parent_code`` (empty when unknown)."""
    return DICTIONARIES.get(parent_code, [])


def _currency(asset_id: int, code: str, digits: int, kind: int, fund_id: int) -> dict[str, Any]:
    return {
        "code": code,
        "displayName": None,
        "strId": str(asset_id),
        "updateTime": _CREATED,
        "type": kind,
        "revision": 1,
        "fundId": fund_id,
        "createBy": "admin",
        "createTime": _CREATED,
        "updateBy": "admin",
        "bizName": "ASSETS",
        "name": code,
        "digits": digits,
        "initState": None,
        "id": asset_id,
        "status": 1,
    }


CURRENCIES: list[dict[str, Any]] = [
    _currency(2, "CNY", 2, 1, 266),
    _currency(3, "GBP", 3, 2, 256),
    _currency(13, "USDT", 4, 2, 270),
    _currency(16, "BTC", 8, 2, 271),
    _currency(100, "ETH", 6, 2, 272),
]

ASSET_IDS: dict[str, int] = {row["code"]: row["id"] for row in CURRENCIES}
ASSET_DIGITS: dict[str, int] = {row["code"]: row["digits"] for row in CURRENCIES}

_ALL_GROUPS = "2,3,4,6,7,8,9,10,13,15,19,21,23,27,35,42,66,1011,1361"


def _product(symbol_id: int, code: str, name: str, trade_type: int, digits: int | None) -> dict[str, Any]:
    return {
        "symbolId": symbol_id,
        "pointRatio": 0,
        "customerGroupIds": "1,2," + _ALL_GROUPS if trade_type != 3 else _ALL_GROUPS,
        "dealMode": 1,
        "baseCurrency": None,
        "bidSpread": "0",
        "labels": None,
        "enableShortLoan": 0,
        "symbolGroupIds": "118",
        "symbolCode": code,
        "fundId": None,
        "etf": False,
        "enableLongLoan": 0,
        "dividend": 0,
        "profitCurrency": None,
        "symbolName": name,
        "sortNum": 0,
        "symbolDigits": digits,
        "askSpread": "0",
        "tradeType": trade_type,
    }


PRODUCTS: list[dict[str, Any]] = [
    _product(2, "USDCHF", "美元瑞郎", 3, None),
    _product(4, "GBPUSD", "英磅美元", 3, None),
    _product(59, "BTCUSDT", "BTC/USDT", 1, 2),
    _product(60, "ETHUSDT", "ETH/USDT", 1, 2),
    _product(59, "BTCUSDT", "BTC/USDT", 2, 2),
    _product(59, "BTCUSDT", "BTC/USDT", 5, 2),
    _product(60, "ETHUSDT", "ETH/USDT", 5, 2),
]


def _group(group_id: int, name: str, kind: int, trade_type: int, assets: str) -> dict[str, Any]:
    return {
        "id": group_id,
        "name": name,
        "openAccountType": 1 if kind == 0 else 0,
        "type": kind,
        "tradeType": trade_type,
        "assets": assets,
    }


GROUPS: list[dict[str, Any]] = [
    _group(1, "Default", 0, 1, "USDT"),
    _group(1, "Default", 0, 2, "USDT"),
    _group(1, "Default", 0, 5, "USDT,BTC,ETH"),
    _group(2, "VIP", 0, 1, "USDT"),
    _group(2, "VIP", 0, 5, "USDT,BTC,ETH"),
    _group(3, "Guest", 2, 5, "USDT"),
]
