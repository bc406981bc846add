"""Trading events of the Data Push (reference manager-api §6.4): positions and transactions.

Prices are integers scaled by ``symbol_digits`` (positions) or ``digits`` (trades), fees by
``currency_digits`` / ``fee_digits``, as the service sends them; the docs' decimal strings are ``Decimal``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from .codes import Direction, PositionStatus, PushOrderStatus
from .events import PushEvent

__all__ = ["PositionDeleteEvent", "PositionInsertEvent", "PositionUpdateEvent", "TradeDealEvent"]


@attrs.frozen(kw_only=True)
class _Position(PushEvent):
    """A position (``open_volume`` = ``contract_size`` x lots; ``take_profit``/``stop_loss`` scaled by
    ``symbol_digits``; ``margin_set_type`` 1 ratio, 2 range)."""

    company_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    customer_group_id: int | None = None
    account_id: int | None = None
    trade_type: int | None = None
    trade_model: int | None = None
    biz_type: int | None = None
    symbol_id: int | None = None
    symbol_digits: int | None = None
    currency: str | None = None
    currency_digits: int | None = None
    direction: Direction | None = None
    status: PositionStatus | None = None
    order_id: int | None = None
    deal_id: int | None = None
    contract_size: int | None = None
    open_volume: Decimal | None = None
    open_price: int | None = None
    cost_price: int | None = None
    open_fee: int | None = None
    close_fee: int | None = None
    open_margin: int | None = None
    collatreal_frozen: int | None = None
    interest: Decimal | None = None
    open_trade_amount: Decimal | None = None
    current_trade_amount: Decimal | None = None
    lock_num: Decimal | None = None
    cross_level_num: int | None = None
    maintenance_margin: Decimal | None = None
    margin_set_type: str | None = None
    occupy_the_margin: Decimal | None = None
    single_margin: Decimal | None = None
    warning_margin: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    create_by: int | None = None
    create_time: datetime | None = None
    update_by: int | None = None
    update_time: datetime | None = None


@attrs.frozen(kw_only=True)
class PositionInsertEvent(_Position, event_type="position_insert"):
    """``position_insert``: a position was opened."""


@attrs.frozen(kw_only=True)
class PositionUpdateEvent(_Position, event_type="position_update"):
    """``position_update``: a position changed."""


@attrs.frozen(kw_only=True)
class PositionDeleteEvent(_Position, event_type="position_delete"):
    """``position_delete``: a position was removed."""


@attrs.frozen(kw_only=True)
class TradeDealEvent(PushEvent, event_type="trade_deal"):
    """``trade_deal``: a transaction (``pnl``: closing profit in account decimals, modes 1 and 2 only;
    ``source``: H5, PC_Web, System, Android, iOS, HOS, PC_Win or PC_Mac)."""

    company_id: int | None = None
    customer_id: int | None = None
    customer_no: str | None = None
    customer_group_id: int | None = None
    account_id: int | None = None
    account_digits: int | None = None
    trade_type: int | None = None
    biz_type: int | None = None
    symbol_id: int | None = None
    symbol_name: str | None = None
    digits: int | None = None
    contract_size: int | None = None
    direction: Direction | None = None
    order_id: int | None = None
    order_status: PushOrderStatus | None = None
    position_id: int | None = None
    execute_num: Decimal | None = None
    execute_price: int | None = None
    execute_time: datetime | None = None
    execute_margin: int | None = None
    execute_margin_category_id: int | None = None
    fee: int | None = None
    fee_digits: int | None = None
    convert_fee: int | None = None
    convert_fee_digits: int | None = None
    convert_exchange_rate: int | None = None
    point_ratio: int | None = None
    spread: int | None = None
    pnl: int | None = None
    source: str | None = None
    third_party_order: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
