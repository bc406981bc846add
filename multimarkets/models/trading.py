"""Trading through a customer's exchange account (reference §6.13-6.22, §7.1).

Every trading body starts with the same account block (``tradeType`` 10, ``exchangeId``, ``accountName``,
``customerNo``, ``customerGroupId``, optional ``customerId``); the user builds it once as a
:class:`TradingAccount`. The ``of`` constructors validate everything locally and raise
:class:`~multimarkets.ValidationError` naming the field before anything is sent.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ..errors import ValidationError
from ._checks import choice, millis, optional_text, page_number, positive_decimal, positive_int, text
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


def _exchange_id(value: Any) -> ExchangeId:
    return choice(ExchangeId, value, "exchange_id")


def _account_name(value: Any) -> str:
    return text(value, "account_name")


def _customer_no(value: Any) -> str:
    return text(value, "customer_no")


def _group(value: Any) -> int:
    return positive_int(value, "customer_group_id")


def _customer_id(value: Any) -> int | None:
    return None if value is None else positive_int(value, "customer_id")


@attrs.frozen
class TradingAccount:
    """Which exchange account a trading call acts on: build it once, pass it to every ``client.trading`` call.

    ``account_name`` is the name given in ``client.accounts.add``; ``customer_group_id`` 1 is the default group.
    Bad values raise :class:`~multimarkets.ValidationError` here, at construction.
    """

    exchange_id: ExchangeId = attrs.field(converter=_exchange_id)
    account_name: str = attrs.field(converter=_account_name)
    customer_no: str = attrs.field(converter=_customer_no)
    customer_group_id: int = attrs.field(default=1, converter=_group)
    customer_id: int | None = attrs.field(default=None, converter=_customer_id)


def _block(account: TradingAccount) -> dict[str, Any]:
    if not isinstance(account, TradingAccount):
        raise ValidationError("account", f"must be a TradingAccount, not {type(account).__name__}")
    return attrs.asdict(account, recurse=False)


@attrs.frozen(kw_only=True)
class _TradingRequest:
    """The account block every trading body starts with (§6 "common trading-body block")."""

    trade_type: int = TRADE_TYPE_BRIDGE
    exchange_id: ExchangeId
    account_name: str
    customer_no: str
    customer_group_id: int
    customer_id: int | None = None


def _limit(value: Any) -> int | None:
    # The service silently answers 20 rows for a limit outside 1..100; an error here is less surprising.
    return None if value is None else page_number(value, "limit", high=100)


def _window(start: Any, end: Any) -> tuple[int | None, int | None]:
    start_ms = None if start is None else millis(start, "start_time")
    end_ms = None if end is None else millis(end, "end_time")
    if start_ms is not None and end_ms is not None and end_ms < start_ms:
        raise ValidationError("end_time", "is before start_time")
    return start_ms, end_ms


@attrs.frozen(kw_only=True)
class BalancesRequest(_TradingRequest):
    """Body of "check balance" (§6.13); ``currency`` is a comma-separated, case-sensitive filter."""

    omit_zero_balances: bool
    currency: str | None = None

    @classmethod
    def of(cls, account: TradingAccount, currencies: str | Sequence[str] | None, omit_zero: bool) -> BalancesRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        if not isinstance(omit_zero, bool):
            raise ValidationError("omit_zero", "must be True or False")
        try:
            names = [currencies] if isinstance(currencies, str) else list(currencies or ())
        except TypeError:
            kind = type(currencies).__name__
            raise ValidationError("currencies", f"must be a string or strings, not {kind}") from None
        joined = ",".join(text(name, "currencies") for name in names) or None
        return cls(**_block(account), omit_zero_balances=omit_zero, currency=joined)


@attrs.frozen(kw_only=True)
class DepositsRequest(_TradingRequest):
    """Body of "deposit records" (§6.14): ``startTime``, ``endTime`` and ``limit`` are strings on the wire."""

    currency: str | None = None
    status: DepositStatus | None = None
    tx_id: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    limit: str | None = None

    @classmethod
    def of(
        cls,
        account: TradingAccount,
        *,
        currency: str | None,
        status: DepositStatus | str | None,
        tx_id: str | None,
        start_time: datetime | int | None,
        end_time: datetime | int | None,
        limit: int | None,
    ) -> DepositsRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        start_ms, end_ms = _window(start_time, end_time)
        count = _limit(limit)
        return cls(
            **_block(account),
            currency=optional_text(currency, "currency"),
            status=None if status is None else choice(DepositStatus, status, "status"),
            tx_id=optional_text(tx_id, "tx_id"),
            start_time=None if start_ms is None else str(start_ms),
            end_time=None if end_ms is None else str(end_ms),
            limit=None if count is None else str(count),
        )


@attrs.frozen(kw_only=True)
class PlaceOrderRequest(_TradingRequest):
    """Body of "place an order" (§6.17); ``price``, ``num`` and ``amount`` are exact decimal strings."""

    symbol_id: int
    order_type: OrderType = attrs.field(metadata={"wire": "bizType"})
    side: Side = attrs.field(metadata={"wire": "direction"})
    client_order_id: str
    price: Decimal | None = None
    num: Decimal | None = None
    amount: Decimal | None = None
    time_in_force: TimeInForce | None = None

    @classmethod
    def of(
        cls,
        account: TradingAccount,
        symbol_id: int,
        *,
        side: Side | str,
        order_type: OrderType | str,
        quantity: Decimal | str | int | None,
        quote_amount: Decimal | str | int | None,
        price: Decimal | str | int | None,
        time_in_force: TimeInForce | str | None,
        client_order_id: str | None,
    ) -> PlaceOrderRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        kind = choice(OrderType, order_type, "order_type")
        num = None if quantity is None else positive_decimal(quantity, "quantity")
        amount = None if quote_amount is None else positive_decimal(quote_amount, "quote_amount")
        if num is None and amount is None:
            raise ValidationError("quantity", "give quantity or quote_amount")
        # The service silently prefers num when both are sent; refusing is clearer than dropping one.
        if num is not None and amount is not None:
            raise ValidationError("quote_amount", "give quantity or quote_amount, not both")
        tif = None if time_in_force is None else choice(TimeInForce, time_in_force, "time_in_force")
        limit_price = None if price is None else positive_decimal(price, "price")
        if kind is OrderType.LIMIT:
            if limit_price is None:
                raise ValidationError("price", "is required for a limit order")
            if num is None:
                raise ValidationError("quantity", "a limit order is placed by quantity, not by quote_amount")
        else:
            if limit_price is not None:
                raise ValidationError("price", "is only for limit orders (a market order ignores it)")
            if tif is not None:
                raise ValidationError("time_in_force", "is only for limit orders (a market order ignores it)")
        if client_order_id is None:
            client_order_id = new_client_order_id()
        elif not isinstance(client_order_id, str) or not _CLIENT_ORDER_ID.fullmatch(client_order_id):
            raise ValidationError("client_order_id", "must be 1 to 20 letters or digits (^[a-zA-Z0-9]{1,20}$)")
        return cls(
            **_block(account),
            symbol_id=positive_int(symbol_id, "symbol_id"),
            order_type=kind,
            side=choice(Side, side, "side"),
            client_order_id=client_order_id,
            price=limit_price,
            num=num,
            amount=amount,
            time_in_force=tif,
        )


@attrs.frozen(kw_only=True)
class OrderLookupRequest(_TradingRequest):
    """Body of "query order" and "cancel order" (§6.18, §6.22); the service prefers ``orderId`` if both are set."""

    symbol_id: int
    order_id: str | None = None
    client_order_id: str | None = None

    @classmethod
    def of(
        cls, account: TradingAccount, symbol_id: int, *, order_id: str | None, client_order_id: str | None
    ) -> OrderLookupRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        order = optional_text(order_id, "order_id")
        client = optional_text(client_order_id, "client_order_id")
        if order is None and client is None:
            raise ValidationError("order_id", "give order_id or client_order_id")
        if client is not None and not _CLIENT_ORDER_ID.fullmatch(client):
            raise ValidationError("client_order_id", "must be 1 to 20 letters or digits (^[a-zA-Z0-9]{1,20}$)")
        return cls(
            **_block(account),
            symbol_id=positive_int(symbol_id, "symbol_id"),
            order_id=order,
            client_order_id=client,
        )


@attrs.frozen(kw_only=True)
class TradesRequest(_TradingRequest):
    """Body of "transaction record" (§6.20): ``startTime``, ``endTime`` and ``limit`` are integers here."""

    symbol_id: int
    start_time: int | None = None
    end_time: int | None = None
    limit: int | None = None

    @classmethod
    def of(
        cls,
        account: TradingAccount,
        symbol_id: int,
        *,
        start_time: datetime | int | None,
        end_time: datetime | int | None,
        limit: int | None,
    ) -> TradesRequest:
        """Validate the user's arguments; raises :class:`ValidationError` naming the field."""
        start_ms, end_ms = _window(start_time, end_time)
        if start_ms is not None and end_ms is not None and end_ms - start_ms > MAX_TRADE_WINDOW_MS:
            raise ValidationError("end_time", "may be at most 24 hours after start_time")
        return cls(
            **_block(account),
            symbol_id=positive_int(symbol_id, "symbol_id"),
            start_time=start_ms,
            end_time=end_ms,
            limit=_limit(limit),
        )


@attrs.frozen
class Balance:
    """One currency of an exchange account: ``balance`` and the ``locked`` part of it (exact decimals)."""

    currency: str
    balance: Decimal
    locked: Decimal
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Deposit:
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
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Order:
    """An order as the service reports it. OKX answers a new order with only ``client_order_id`` and ``status``,
    so every other field may be None. Fields past ``order_type`` are INFERRED (reference §6.18 is cut off)."""

    client_order_id: str | None = None
    status: OrderStatus | None = None
    order_id: str | None = None
    exchange_id: ExchangeId | None = None
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
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def is_final(self) -> bool:
        """True once the order can no longer change (filled, cancelled, rejected or expired)."""
        return self.status is not None and self.status.is_final


@attrs.frozen
class OrderRef:
    """What "cancel order" answers: which order the cancellation was accepted for."""

    exchange_id: ExchangeId | None = None
    order_id: str | None = None
    client_order_id: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Trade:
    """One fill. Fields follow the ``ORDER_EXEC_REPORT`` message (§7.1; the record's own shape is INFERRED);
    ``commission`` is negative when charged, positive for a rebate."""

    trade_id: str | None = None
    order_id: str | None = None
    client_order_id: str | None = None
    symbol_id: int | None = None
    execute_num: Decimal | None = None
    execute_price: Decimal | None = None
    execute_time: datetime | None = None
    commission: Decimal | None = None
    commission_currency: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
