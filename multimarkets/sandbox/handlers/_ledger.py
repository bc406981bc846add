"""Balances and deposit records of the exchange accounts (what the exchange would hold for them).

An account gets its history the first time a trading call touches it: 25 deposit records over the 60 days
before it was added, drawn from a generator seeded with the account's identity (company, customer,
exchange, name), so the same account always gets the same history. Its balances are the sum of its
completed deposits, plus a zero BNB balance (for ``omitZeroBalances``); orders then lock, spend and credit them.
"""

from __future__ import annotations

import hashlib
import random
from decimal import ROUND_DOWN, Decimal

import attrs

from ..state import Store, Table
from .accounts import DirectAccount
from .catalog import currency_digits

__all__ = [
    "DepositRecord",
    "Holding",
    "balance_of",
    "credit",
    "deposits_of",
    "ensure_seeded",
    "fmt",
    "holdings_of",
    "lock",
    "quantize",
    "spend_locked",
    "unlock",
]

DEPOSITS_PER_ACCOUNT = 25
_HISTORY_MS = 60 * 24 * 3600 * 1000
_COMPLETED = "6"
_AMOUNTS = {"USDT": (500, 20000), "BTC": (0.01, 0.5), "ETH": (0.1, 5.0)}
_NETWORKS = {"USDT": "TRX", "BTC": "BTC", "ETH": "ETH"}
_CURRENCIES = ("USDT", "USDT", "USDT", "BTC", "ETH")


@attrs.frozen
class Holding:
    """One currency of one account: ``free`` plus ``locked`` (by open orders) is the balance."""

    account_id: int
    currency: str
    free: str
    locked: str


@attrs.frozen
class DepositRecord:
    """One deposit into an account."""

    id: str
    account_id: int
    currency: str
    amount: str
    status: str
    tx_id: str
    address: str
    network: str
    wallet_type: str
    confirm_times: str
    create_time: int


def fmt(value: Decimal) -> str:
    """An exact decimal string in plain notation (``str`` would give ``0E-8``)."""
    return format(value, "f")


def quantize(value: Decimal, currency: str) -> Decimal:
    """``value`` cut (not rounded up) to the currency's digits."""
    return value.quantize(Decimal(1).scaleb(-currency_digits(currency)), rounding=ROUND_DOWN)


def _holdings(store: Store) -> Table[Holding]:
    return store.table("holdings", Holding)


def _deposits(store: Store) -> Table[DepositRecord]:
    return store.table("deposits", DepositRecord)


def _rng(account: DirectAccount) -> random.Random:
    identity = f"{account.company_id}:{account.customer_no}:{account.exchange_code}:{account.account_name}"
    return random.Random(int.from_bytes(hashlib.blake2b(identity.encode(), digest_size=8).digest(), "big"))


def _deposit(account: DirectAccount, rng: random.Random, index: int) -> DepositRecord:
    # The first three are completed deposits of each currency, so that every account can trade.
    currency = ("USDT", "BTC", "ETH")[index] if index < 3 else rng.choice(_CURRENCIES)
    status = _COMPLETED if index < 3 or rng.random() < 0.7 else str(rng.randint(1, 5))
    low, high = _AMOUNTS[currency]
    amount = quantize(Decimal(str(rng.uniform(low, high))), currency)
    created = account.create_time - rng.randint(3_600_000, _HISTORY_MS)
    tx_id = f"{rng.getrandbits(256):064x}"
    network, wallet_type = _NETWORKS[currency], "0"
    if account.exchange_code == "okx":
        # An OKX internal transfer names its sender and has no chain side.
        internal = index >= 3 and rng.random() < 0.3
        address = f"okx-user{rng.randint(1000, 9999)}@example.com" if internal else ""
        wallet_type, confirm_times = "", "64"
        if internal:
            tx_id = network = confirm_times = ""
    else:
        address = f"T{rng.getrandbits(160):040x}"
        confirm_times = "12/12" if status == _COMPLETED else f"{rng.randint(0, 11)}/12"
    return DepositRecord(
        id=f"{account.id}-{index}",
        account_id=account.id,
        currency=currency,
        amount=fmt(amount),
        status=status,
        tx_id=tx_id,
        address=address,
        network=network,
        wallet_type=wallet_type,
        confirm_times=confirm_times,
        create_time=created,
    )


def ensure_seeded(store: Store, account: DirectAccount) -> None:
    """Give ``account`` its deposit history and opening balances, once."""
    flag = f"ledger.{account.id}"
    if store.get_meta(flag) is not None:
        return
    rng = _rng(account)
    records = sorted((_deposit(account, rng, i) for i in range(DEPOSITS_PER_ACCOUNT)), key=lambda d: d.create_time)
    totals = dict.fromkeys(("USDT", "BTC", "ETH", "BNB"), Decimal(0))
    for record in records:
        _deposits(store).put(record.id, record)
        if record.status == _COMPLETED:
            totals[record.currency] += Decimal(record.amount)
    for currency, total in totals.items():
        _put(store, Holding(account.id, currency, fmt(quantize(total, currency)), fmt(quantize(Decimal(0), currency))))
    store.set_meta(flag, "1")


def holdings_of(store: Store, account_id: int) -> list[Holding]:
    """The account's holdings, in currency order."""
    return sorted((h for h in _holdings(store).values() if h.account_id == account_id), key=lambda h: h.currency)


def deposits_of(store: Store, account_id: int) -> list[DepositRecord]:
    """The account's deposits, newest first."""
    records = [d for d in _deposits(store).values() if d.account_id == account_id]
    return sorted(records, key=lambda d: d.create_time, reverse=True)


def balance_of(store: Store, account_id: int, currency: str) -> tuple[Decimal, Decimal]:
    """``(free, locked)`` of one currency (zero when never held)."""
    holding = _holdings(store).get(f"{account_id}:{currency}")
    if holding is None:
        return Decimal(0), Decimal(0)
    return Decimal(holding.free), Decimal(holding.locked)


def _put(store: Store, holding: Holding) -> None:
    _holdings(store).put(f"{holding.account_id}:{holding.currency}", holding)


def _set(store: Store, account_id: int, currency: str, free: Decimal, locked: Decimal) -> None:
    _put(store, Holding(account_id, currency, fmt(quantize(free, currency)), fmt(quantize(locked, currency))))


def lock(store: Store, account_id: int, currency: str, amount: Decimal) -> bool:
    """Move ``amount`` from free to locked; False (and nothing changes) when not enough is free."""
    free, locked = balance_of(store, account_id, currency)
    if free < amount:
        return False
    _set(store, account_id, currency, free - amount, locked + amount)
    return True


def unlock(store: Store, account_id: int, currency: str, amount: Decimal) -> None:
    """Give ``amount`` of locked funds back to free."""
    free, locked = balance_of(store, account_id, currency)
    amount = min(amount, locked)
    _set(store, account_id, currency, free + amount, locked - amount)


def spend_locked(store: Store, account_id: int, currency: str, amount: Decimal) -> None:
    """Pay ``amount`` out of locked funds (a fill)."""
    free, locked = balance_of(store, account_id, currency)
    _set(store, account_id, currency, free, locked - min(amount, locked))


def credit(store: Store, account_id: int, currency: str, amount: Decimal) -> None:
    """Add ``amount`` to free funds (the proceeds of a fill)."""
    free, locked = balance_of(store, account_id, currency)
    _set(store, account_id, currency, free + amount, locked)
