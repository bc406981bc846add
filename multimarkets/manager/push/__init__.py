"""Manager Data Push (reference manager-api §6): typed events from the service's WebSocket.

``client.data_push.events(group)`` iterates them; ``client.data_push.run(on_event, group)`` hands each one to a
handler. The event classes, one per documented ``eventType``, are here; :class:`UnknownEvent` carries any other.
"""

from __future__ import annotations

from typing import TypeAlias

from .account_events import (
    AccountAdjustEvent,
    AccountUpdateEvent,
    DepositEvent,
    OpenAccountEvent,
    SubjectInsertEvent,
    SubjectUpdateEvent,
    SubjectWaterInsertEvent,
    SubjectWaterUpdateEvent,
    WithdrawEvent,
)
from .codes import CheckStatus, Direction, PositionStatus, ProgressStatus, PushOrderStatus, RegisterType
from .customer_events import (
    CustomerInfoInsertEvent,
    CustomerInfoUpdateEvent,
    CustomerUpdateEvent,
    KycEvent,
    RegisterEvent,
)
from .events import PushEvent, UnknownEvent, event_identity, parse_push, register_types
from .trade_events import PositionDeleteEvent, PositionInsertEvent, PositionUpdateEvent, TradeDealEvent

__all__ = [
    "EVENT_TYPES",
    "AccountAdjustEvent",
    "AccountUpdateEvent",
    "CheckStatus",
    "CustomerInfoInsertEvent",
    "CustomerInfoUpdateEvent",
    "CustomerUpdateEvent",
    "DataPushEvent",
    "DepositEvent",
    "Direction",
    "KycEvent",
    "OpenAccountEvent",
    "PositionDeleteEvent",
    "PositionInsertEvent",
    "PositionStatus",
    "PositionUpdateEvent",
    "ProgressStatus",
    "PushEvent",
    "PushOrderStatus",
    "RegisterEvent",
    "RegisterType",
    "SubjectInsertEvent",
    "SubjectUpdateEvent",
    "SubjectWaterInsertEvent",
    "SubjectWaterUpdateEvent",
    "TradeDealEvent",
    "UnknownEvent",
    "WithdrawEvent",
    "event_identity",
    "parse_push",
]

EVENT_TYPES: tuple[type[PushEvent], ...] = (
    RegisterEvent,
    CustomerUpdateEvent,
    CustomerInfoInsertEvent,
    CustomerInfoUpdateEvent,
    KycEvent,
    OpenAccountEvent,
    AccountUpdateEvent,
    SubjectInsertEvent,
    SubjectUpdateEvent,
    SubjectWaterInsertEvent,
    SubjectWaterUpdateEvent,
    PositionInsertEvent,
    PositionUpdateEvent,
    PositionDeleteEvent,
    TradeDealEvent,
    DepositEvent,
    AccountAdjustEvent,
    WithdrawEvent,
)
"""The event class of every documented ``eventType``, in the order of the docs."""

register_types(*EVENT_TYPES)

DataPushEvent: TypeAlias = PushEvent | UnknownEvent
"""Anything the Data Push yields: a typed event (a :class:`PushEvent` subclass) or an :class:`UnknownEvent`."""
