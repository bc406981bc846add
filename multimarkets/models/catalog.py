# mypy: disable-error-code="misc"
"""Basic and product data: dictionaries, the company's currencies, products (reference §6.1-6.3).

These three endpoints are documented only in the older draft of the API (reference: INFERRED); the response
models list the documented fields and keep everything else in ``raw``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ._answer import Answer
from ._checks import (
    checked,
    positive_int,
    text,
)
from .enums import ConfigStatus

__all__ = [
    "CurrenciesRequest",
    "Currency",
    "DictionaryItem",
    "DictionaryRequest",
    "HolidayWindow",
    "Product",
    "ProductsRequest",
    "TradingWindow",
]


@attrs.frozen(kw_only=True)
class DictionaryRequest:
    """Body of the dictionary query (§6.1)."""

    parent_code: str = attrs.field(converter=checked(text))


@attrs.frozen
class CurrenciesRequest:
    """Body of the company currency query (§6.2); ``companyId`` is a string on the wire."""

    company_id: str | None = None


@attrs.frozen(kw_only=True)
class ProductsRequest:
    """Body of the product query (§6.3); ``companyId`` is a string, ``tradeType`` an integer."""

    company_id: str
    trade_type: int | None = attrs.field(default=None, converter=checked(positive_int, optional=True))


@attrs.frozen
class DictionaryItem(Answer):
    """One entry of a dictionary such as ``phone_code`` (``code`` "+86") or ``USDT`` (chains)."""

    code: str | None = None
    name: str | None = None
    display_name: str | None = None
    value: str | None = None
    id: int | None = None
    parent_id: int | None = None
    parent_code: str | None = None
    sort: int | None = None
    status: ConfigStatus | None = None
    has_leaf: int | None = None
    name_en: str | None = None
    name_tw: str | None = None
    extend: Any = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.frozen
class Currency(Answer):
    """A currency the company may use; ``digits`` is its number of decimal places."""

    id: int
    code: str
    name: str | None = None
    display_name: str | None = None
    str_id: str | None = None
    digits: int | None = None
    type: int | None = None
    status: ConfigStatus | None = None
    init_state: int | None = None
    """1 initialising, 2 initialised."""
    fund_id: int | None = None
    biz_name: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.frozen
class HolidayWindow:
    """A holiday during which the product does not trade."""

    start_time: datetime
    end_time: datetime


@attrs.frozen
class TradingWindow:
    """Weekly trading hours: ``day_of_week`` 1-7, times in seconds from the start of that day."""

    day_of_week: int
    start_time: int
    end_time: int


@attrs.frozen
class Product(Answer):
    """A tradable product; ``symbol_id`` is what trading calls take."""

    symbol_id: int
    symbol_code: str
    symbol_name: str | None = None
    trade_type: int | None = None
    base_currency: str | None = None
    profit_currency: str | None = None
    symbol_digits: int | None = None
    customer_group_ids: str | None = None
    """Comma-separated ids of the customer groups allowed to trade it."""
    symbol_group_ids: str | None = None
    ask_spread: Decimal | None = None
    bid_spread: Decimal | None = None
    point_ratio: Decimal | None = None
    deal_mode: int | None = None
    etf: bool | None = None
    fund_id: int | None = None
    labels: Any = None
    sort_num: int | None = None
    enable_short_loan: bool | None = None
    enable_long_loan: bool | None = None
    dividend: bool | None = None
    in_holiday_time: int | None = None
    """1 during a holiday."""
    in_trade_time: int | None = None
    """1 within trading hours."""
    holiday_time_list: tuple[HolidayWindow, ...] = ()
    trade_time_list: tuple[TradingWindow, ...] = ()
