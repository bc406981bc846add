# mypy: disable-error-code="misc"
"""Trading through a customer's exchange account (reference §6.13-6.22, §7.1).

Every trading body starts with the same account block (``tradeType`` 10, ``exchangeId``, ``accountName``,
``customerNo``, ``customerGroupId``, optional ``customerId``); the user builds it once as a
:class:`TradingAccount`. The request models validate on construction and raise
:class:`~multimarkets.ValidationError` naming the field before anything is sent.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ..errors import ValidationError
from ._answer import Answer
from ._checks import checked, flag, millis, one_of, optional_text, page_number, positive_decimal, positive_int, text
from .enums import DepositStatus, ExchangeId, OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "MAX_TRADE_WINDOW_MS",
    "TRADE_TYPE_BRIDGE",
    "Balance",
    "BalancesRequest",
    "Deposit",
    "DepositsRequest",
    "Order",
    "OrderLookupRequest",
    "OrderRef",
    "PlaceOrderRequest",
    "Trade",
    "TradesRequest",
    "TradingAccount",
    "new_client_order_id",
]

TRADE_TYPE_BRIDGE = 10
"""``tradeType`` of every trading call: "10 - Transaction Bridge"."""

MAX_TRADE_WINDOW_MS = 24 * 60 * 60 * 1000
"""The transaction record takes at most 24 hours between ``startTime`` and ``endTime``."""

_CLIENT_ORDER_ID = re.compile(r"[a-zA-Z0-9]{1,20}")


def new_client_order_id() -> str:
    """A fresh random ``clientOrderId``: 20 hex characters, within the documented ``^[a-zA-Z0-9]{1,20}$``."""
    return secrets.token_hex(10)


@attrs.frozen
class TradingAccount:
    """Which exchange account a trading call acts on: build it once, pass it to every ``client.trading`` call.

    ``account_name`` is the name given in ``client.accounts.add``; ``customer_group_id`` 1 is the default group.
    Bad values raise :class:`~multimarkets.ValidationError` here, at construction.
    """

    exchange_id: ExchangeId = attrs.field(converter=checked(one_of(ExchangeId)))
    account_name: str = attrs.field(converter=checked(text))
    customer_no: str = attrs.field(converter=checked(text))
    customer_group_id: int = attrs.field(default=1, converter=checked(positive_int))
    customer_id: int | None = attrs.field(default=None, converter=checked(positive_int, optional=True))


def _trading_account(_: object, field: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, TradingAccount):
        raise ValidationError(field.name, f"must be a TradingAccount, not {type(value).__name__}")


@attrs.frozen(kw_only=True)
class _TradingRequest:
    """The account block every trading body starts with (§6 "common trading-body block")."""

    trade_type: int = TRADE_TYPE_BRIDGE
    account: TradingAccount = attrs.field(validator=_trading_account, metadata={"inline": True})


def _limit(value: Any, field: str) -> int:
    # The service silently answers 20 rows for a limit outside 1..100; an error here is less surprising.
    return page_number(value, field, high=100)


def _check_window(start_ms: int | None, end_ms: int | None, longest: int | None = None) -> None:
    if start_ms is None or end_ms is None:
        return
    if end_ms < start_ms:
        raise ValidationError("end_time", "is before start_time")
    if longest is not None and end_ms - start_ms > longest:
        raise ValidationError("end_time", "may be at most 24 hours after start_time")


def _currencies(value: Any, field: str) -> str | None:
    try:
        names = [value] if isinstance(value, str) else list(value or ())
    except TypeError:
        raise ValidationError(field, f"must be a string or strings, not {type(value).__name__}") from None
    return ",".join(text(name, field) for name in names) or None


def _client_order_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _CLIENT_ORDER_ID.fullmatch(value):
        raise ValidationError(field, "must be 1 to 20 letters or digits (^[a-zA-Z0-9]{1,20}$)")
    return value


def _client_order_id_or_new(value: Any, field: str) -> str:
    return new_client_order_id() if value is None else _client_order_id(value, field)


@attrs.frozen(kw_only=True)
class BalancesRequest(_TradingRequest):
    """Body of "check balance" (§6.13); ``currency`` is a comma-separated, case-sensitive filter."""

    omit_zero: bool = attrs.field(converter=checked(flag), metadata={"wire": "omitZeroBalances"})
    currencies: str | None = attrs.field(default=None, converter=checked(_currencies), metadata={"wire": "currency"})


@attrs.frozen(kw_only=True)
class DepositsRequest(_TradingRequest):
    """Body of "deposit records" (§6.14): ``startTime``, ``endTime`` and ``limit`` are strings on the wire."""

    currency: str | None = attrs.field(default=None, converter=checked(optional_text))
    status: DepositStatus | None = attrs.field(default=None, converter=checked(one_of(DepositStatus), optional=True))
    tx_id: str | None = attrs.field(default=None, converter=checked(optional_text))
    start_time: str | None = attrs.field(default=None, converter=checked(millis, optional=True, then=str))
    end_time: str | None = attrs.field(default=None, converter=checked(millis, optional=True, then=str))
    limit: str | None = attrs.field(default=None, converter=checked(_limit, optional=True, then=str))

    def __attrs_post_init__(self) -> None:
        _check_window(_int_of(self.start_time), _int_of(self.end_time))


def _int_of(value: str | None) -> int | None:
    return None if value is None else int(value)


@attrs.frozen(kw_only=True)
class PlaceOrderRequest(_TradingRequest):
    """Body of "place an order" (§6.17); ``price``, ``num`` and ``amount`` are exact decimal strings."""

    symbol_id: int = attrs.field(converter=checked(positive_int))
    order_type: OrderType = attrs.field(converter=checked(one_of(OrderType)), metadata={"wire": "bizType"})
    side: Side = attrs.field(converter=checked(one_of(Side)), metadata={"wire": "direction"})
    client_order_id: str = attrs.field(
        default=None,
        converter=checked(_client_order_id_or_new),
    )
    price: Decimal | None = attrs.field(default=None, converter=checked(positive_decimal, optional=True))
    quantity: Decimal | None = attrs.field(
        default=None, converter=checked(positive_decimal, optional=True), metadata={"wire": "num"}
    )
    quote_amount: Decimal | None = attrs.field(
        default=None, converter=checked(positive_decimal, optional=True), metadata={"wire": "amount"}
    )
    time_in_force: TimeInForce | None = attrs.field(default=None, converter=checked(one_of(TimeInForce), optional=True))

    def __attrs_post_init__(self) -> None:
        if self.quantity is None and self.quote_amount is None:
            raise ValidationError("quantity", "give quantity or quote_amount")
        # The service silently prefers num when both are sent; refusing is clearer than dropping one.
        if self.quantity is not None and self.quote_amount is not None:
            raise ValidationError("quote_amount", "give quantity or quote_amount, not both")
        if self.order_type is OrderType.LIMIT:
            if self.price is None:
                raise ValidationError("price", "is required for a limit order")
            if self.quantity is None:
                raise ValidationError("quantity", "a limit order is placed by quantity, not by quote_amount")
        else:
            if self.price is not None:
                raise ValidationError("price", "is only for limit orders (a market order ignores it)")
            if self.time_in_force is not None:
                raise ValidationError("time_in_force", "is only for limit orders (a market order ignores it)")


@attrs.frozen(kw_only=True)
class OrderLookupRequest(_TradingRequest):
    """Body of "query order" and "cancel order" (§6.18, §6.22); the service prefers ``orderId`` if both are set."""

    symbol_id: int = attrs.field(converter=checked(positive_int))
    order_id: str | None = attrs.field(default=None, converter=checked(optional_text))
    client_order_id: str | None = attrs.field(default=None, converter=checked(_client_order_id, optional=True))

    def __attrs_post_init__(self) -> None:
        if self.order_id is None and self.client_order_id is None:
            raise ValidationError("order_id", "give order_id or client_order_id")


@attrs.frozen(kw_only=True)
class TradesRequest(_TradingRequest):
    """Body of "transaction record" (§6.20): ``startTime``, ``endTime`` and ``limit`` are integers here."""

    symbol_id: int = attrs.field(converter=checked(positive_int))
    start_time: int | None = attrs.field(default=None, converter=checked(millis, optional=True))
    end_time: int | None = attrs.field(default=None, converter=checked(millis, optional=True))
    limit: int | None = attrs.field(default=None, converter=checked(_limit, optional=True))

    def __attrs_post_init__(self) -> None:
        _check_window(self.start_time, self.end_time, MAX_TRADE_WINDOW_MS)


@attrs.frozen
class Balance(Answer):
    """One currency of an exchange account: ``balance`` and the ``locked`` part of it (exact decimals)."""

    currency: str
    balance: Decimal
    locked: Decimal


@attrs.frozen
class Deposit(Answer):
    """A deposit record. The reference names only some fields (INFERRED: ``amount``, ``createTime``); the
    exact wire object is in ``raw``. For OKX, ``address`` is the sender of an internal transfer."""

    currency: str | None = None
    amount: Decimal | None = None
    status: DepositStatus | None = None
    tx_id: str | None = None
    address: str | None = None
    wallet_type: str | None = None
    confirm_times: str | None = None
    """Confirmations of an on-chain deposit; empty otherwise."""
    create_time: datetime | None = None


@attrs.frozen(kw_only=True)
class OrderRef(Answer):
    """Which order: what "cancel order" answers, and what every order record and notification starts with."""

    exchange_id: ExchangeId | None = None
    order_id: str | None = None
    client_order_id: str | None = None


@attrs.frozen(kw_only=True)
class Order(OrderRef):
    """An order as the service reports it. OKX answers a new order with only ``client_order_id`` and ``status``,
    so every other field may be None. Fields past ``order_type`` are INFERRED (reference §6.18 is cut off)."""

    status: OrderStatus | None = None
    symbol_id: int | None = None
    order_type: OrderType | None = attrs.field(default=None, metadata={"wire": "bizType"})
    side: Side | None = attrs.field(default=None, metadata={"wire": "direction"})
    time_in_force: TimeInForce | None = None
    price: Decimal | None = None
    num: Decimal | None = None
    amount: Decimal | None = None
    executed_num: Decimal | None = None
    executed_amount: Decimal | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None

    @property
    def is_final(self) -> bool:
        """True once the order can no longer change (filled, cancelled, rejected or expired)."""
        return self.status is not None and self.status.is_final


# Not slotted: a class can have only one base whose instances have slots, and the webhook OrderExecReport already
# has OrderEvent; a fill's fields are then declared once, here, for it and for Trade.
@attrs.frozen(kw_only=True, slots=False)
class _Execution:
    """The fields of one fill, shared by :class:`Trade` and the webhook ``OrderExecReport`` (§7.1);
    ``commission`` is negative when charged, positive for a rebate."""

    trade_id: str | None = None
    symbol_id: int | None = None
    execute_num: Decimal | None = None
    execute_price: Decimal | None = None
    execute_time: datetime | None = None
    commission: Decimal | None = None
    commission_currency: str | None = None


@attrs.frozen(kw_only=True)
class Trade(_Execution, OrderRef):
    """One fill of an order. Fields follow the ``ORDER_EXEC_REPORT`` message (§7.1; the record's own shape is
    INFERRED)."""
