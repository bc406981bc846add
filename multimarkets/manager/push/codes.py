"""Codes of the Data Push events (reference manager-api §6.3, §6.4). Values are exactly what travels.

Codes whose meaning depends on the trading mode (``bizType``, ``businessType``, ``subjectType``) stay plain
integers: the page lists them per mode and a number alone does not say which list applies.
"""

from __future__ import annotations

import enum

from ...models.enums import Side

__all__ = ["CheckStatus", "Direction", "PositionStatus", "ProgressStatus", "PushOrderStatus", "RegisterType"]


class RegisterType(enum.IntEnum):
    """``registerType`` of a ``register`` event: what the customer registered with."""

    EMAIL = 1
    PHONE = 2
    CUSTOMER_ACCOUNT = 3


Direction = Side
"""``direction`` of a trade or a position: the order side codes (1 buy, 2 sell), :class:`~multimarkets.Side`."""


class PushOrderStatus(enum.IntEnum):
    """``orderStatus`` of a ``trade_deal`` event."""

    INITIAL = 0
    PLACED = 1
    FILLED = 2
    PARTIAL_FILLED = 3
    CANCELLED = 4
    PARTIAL_CANCELLED = 5
    REJECTED = 6
    EXPIRED = 7
    PROCESSING = 8
    FINISH = 9
    REVOKE = 10
    INTERNAL_ERROR = 11
    """The third party succeeded, the platform met an error."""
    FAILURE = 12
    PARTIAL_FAILURE = 13


class PositionStatus(enum.IntEnum):
    """``status`` of a ``position_*`` event."""

    HOLDING = 1
    COMPLETED = 2
    PARTIALLY_CLOSED = 3


class CheckStatus(enum.IntEnum):
    """``checkStatus`` of a balance adjustment or a withdrawal."""

    WAITING_APPROVAL = 1
    APPROVED = 2
    FAILED = 3


class ProgressStatus(enum.IntEnum):
    """``paymentStatus`` of a deposit, ``transferStatus`` of a withdrawal."""

    PENDING = 1
    SUCCESS = 2
    FAILED = 3
