"""``client.trading``: balances, deposits and orders of a customer's exchange account (reference §6.13-6.22).

Every call takes a :class:`~multimarkets.TradingAccount` first and is sent with the ``group: tradeApi`` header.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from .._convert import bad_data
from ..errors import APIError, MultiMarketsError
from ..models._checks import request_of
from ..models.enums import DepositStatus, OrderStatus, OrderType, Side, TimeInForce
from ..models.trading import (
    Balance,
    BalancesRequest,
    Deposit,
    DepositsRequest,
    Order,
    OrderLookupRequest,
    OrderRef,
    PlaceOrderRequest,
    Trade,
    TradesRequest,
    TradingAccount,
)
from ._base import AsyncResource

__all__ = [
    "BALANCES",
    "CANCEL_ORDER",
    "DEPOSITS",
    "GET_ORDER",
    "PLACE_ORDER",
    "TRADES",
    "TRADE_API",
    "AsyncTrading",
]

TRADE_API = "tradeApi"
"""The ``group`` header the trading endpoints require."""

BALANCES = "tradeapi.admin.AccountAdminService.queryBalances"
DEPOSITS = "tradeapi.admin.AccountAdminService.queryDepositList"
PLACE_ORDER = "tradeapi.admin.OrderAdminApiService.addDirectOrder"
GET_ORDER = "tradeapi.admin.OrderAdminApiService.queryDirectOrder"
TRADES = "tradeapi.admin.OrderAdminApiService.queryDirectTradeRecord"
CANCEL_ORDER = "tradeapi.admin.OrderAdminApiService.cancelDirectOrder"


class AsyncTrading(AsyncResource):
    """Trading through an exchange account attached with ``client.accounts.add``.

    Bad input raises :class:`~multimarkets.ValidationError` before anything is sent; the service's refusals
    raise :class:`~multimarkets.APIError` subclasses carrying the code and trace.
    """

    __slots__ = ()

    _group = TRADE_API

    async def balances(
        self,
        account: TradingAccount,
        *,
        currencies: str | Sequence[str] | None = None,
        omit_zero: bool = False,
    ) -> list[Balance]:
        """The account's balances, optionally only ``currencies`` (case-sensitive) and without zero ones."""
        request = request_of(BalancesRequest, locals())
        return await self._post(BALANCES, request, list[Balance])

    async def deposits(
        self,
        account: TradingAccount,
        *,
        currency: str | None = None,
        status: DepositStatus | str | None = None,
        tx_id: str | None = None,
        start_time: datetime | int | None = None,
        end_time: datetime | int | None = None,
        limit: int | None = None,
    ) -> list[Deposit]:
        """The account's deposit records, filtered; times are aware datetimes or epoch milliseconds, ``limit`` 1-100
        (the service's default is 20)."""
        request = request_of(DepositsRequest, locals())
        return await self._post(DEPOSITS, request, list[Deposit])

    async def place_order(
        self,
        account: TradingAccount,
        symbol_id: int,
        *,
        side: Side | str,
        order_type: OrderType | str,
        quantity: Decimal | str | int | None = None,
        quote_amount: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: TimeInForce | str | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        """Place a market or limit order on product ``symbol_id`` and return it as the service reports it.

        Give ``quantity`` (base currency) or, for market orders only, ``quote_amount``; a limit order needs
        ``price`` and may set ``time_in_force`` (service default GTC). ``client_order_id`` (1-20 letters or
        digits) is generated when not given; the returned order always carries it. Pass your own to be able to
        look the order up with :meth:`get_order` if the call ends in a :class:`~multimarkets.TransportError`
        (the order may then exist). Refusals (funds, minimum size, a reused id) raise
        :class:`~multimarkets.APIError`.
        """
        request = request_of(PlaceOrderRequest, locals())
        # Retrying a lost answer cannot place a second order: every attempt carries the same clientOrderId,
        # which the service keeps unique (a retry refused for it most likely follows our own placement).
        try:
            order = await self._post(PLACE_ORDER, request, Order)
        except APIError as exc:
            found = await self._order_after_refusal(
                exc, account, request.symbol_id, client_order_id=request.client_order_id
            )
            if found is None:
                raise
            return found
        if order.client_order_id is None:
            order = attrs.evolve(order, client_order_id=request.client_order_id)
        return order

    async def get_order(
        self,
        account: TradingAccount,
        symbol_id: int,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        """One order of the last three months, by ``order_id`` or ``client_order_id`` (``order_id`` wins)."""
        request = request_of(OrderLookupRequest, locals())
        reply = await self._send(GET_ORDER, request)
        order = self._read(reply, Order, GET_ORDER)
        if order.order_id is None and order.client_order_id is None:
            raise bad_data("(an order without orderId or clientOrderId)", biz_type=GET_ORDER, trace=reply.trace)
        return order

    async def trades(
        self,
        account: TradingAccount,
        symbol_id: int,
        *,
        start_time: datetime | int | None = None,
        end_time: datetime | int | None = None,
        limit: int | None = None,
    ) -> list[Trade]:
        """Fills on ``symbol_id`` within the last three months; ``end_time - start_time`` at most 24 hours (times
        are aware datetimes or epoch milliseconds), ``limit`` 1-100 (the service's default is 20)."""
        request = request_of(TradesRequest, locals())
        return await self._post(TRADES, request, list[Trade])

    async def cancel_order(
        self,
        account: TradingAccount,
        symbol_id: int,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderRef:
        """Ask to cancel an open order (``order_id`` wins over ``client_order_id``); the outcome arrives as an
        ``ORDER_CANCEL_REPORT`` notification and in :meth:`get_order`. A filled or cancelled order is refused."""
        request = request_of(OrderLookupRequest, locals())
        # Cancelling twice asks for the same end state (a retry refused as "already cancelled" most likely
        # follows our own cancellation).
        try:
            return await self._post(CANCEL_ORDER, request, OrderRef)
        except APIError as exc:
            order = await self._order_after_refusal(
                exc, account, symbol_id, order_id=order_id, client_order_id=client_order_id
            )
            if order is None or order.status is not OrderStatus.CANCELLED:
                raise
            return OrderRef(
                exchange_id=order.exchange_id,
                order_id=order.order_id,
                client_order_id=order.client_order_id,
                trace=order.trace,
            )

    async def _order_after_refusal(
        self,
        error: APIError,
        account: TradingAccount,
        symbol_id: int,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> Order | None:
        """The order, looked up, when ``error`` refused a retry that followed an ambiguous attempt; else None.

        The first attempt then most likely went through, so the order shows what it did; the caller decides
        whether that answers its call. None (no ambiguous attempt, or the look-up failed too) means: raise
        ``error``.
        """
        if not error.after_ambiguous:
            return None
        try:
            return await self.get_order(account, symbol_id, order_id=order_id, client_order_id=client_order_id)
        except MultiMarketsError:
            return None
