"""The simulated market price of each product: a deterministic walk over the sandbox clock, or a price a test
sets (``sandbox.MarketService.setPrice``), which then stays put until set again or the sandbox is reset.

The walk moves within +-2% of its anchor (the product's start price, or the last price set with
``walk: true``): a pseudo-random value per minute of sandbox time, interpolated in between, so the same
clock always gives the same price and ``/__sandbox__/clock`` moves the market.
"""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_EVEN, Decimal

from ..state import Store
from .catalog import ProductSpec

__all__ = ["current_price", "set_price"]

_AMPLITUDE = Decimal("0.02")
_STEP_MS = 60_000


def _noise(symbol_id: int, step: int) -> Decimal:
    """A fixed pseudo-random number in [-1, 1) for one minute of one product."""
    digest = hashlib.blake2b(f"{symbol_id}:{step}".encode(), digest_size=8).digest()
    return Decimal(int.from_bytes(digest, "big")) / Decimal(2**63) - 1


def _walk(symbol_id: int, now_ms: int) -> Decimal:
    step, into = divmod(now_ms, _STEP_MS)
    left, right = _noise(symbol_id, step), _noise(symbol_id, step + 1)
    return left + (right - left) * Decimal(into) / _STEP_MS


def _anchor(store: Store, symbol_id: int) -> tuple[Decimal, int, bool] | None:
    text = store.get_meta(f"market.{symbol_id}")
    if text is None:
        return None
    saved = json.loads(text)
    return Decimal(saved["price"]), int(saved["at"]), bool(saved["walk"])


def current_price(store: Store, product: ProductSpec, now_ms: int) -> Decimal:
    """The product's price at ``now_ms`` (sandbox clock), rounded to its price digits."""
    anchor = _anchor(store, product.symbol_id)
    if anchor is None:
        price = product.start_price * (1 + _AMPLITUDE * _walk(product.symbol_id, now_ms))
    else:
        base, at, walking = anchor
        drift = _walk(product.symbol_id, now_ms) - _walk(product.symbol_id, at) if walking else Decimal(0)
        price = base * (1 + _AMPLITUDE * drift)
    return price.quantize(Decimal(1).scaleb(-product.price_digits), rounding=ROUND_HALF_EVEN)


def set_price(store: Store, product: ProductSpec, price: Decimal, now_ms: int, *, walk: bool) -> None:
    """Fix the product's price at ``price`` from ``now_ms`` on (``walk``: let it walk on from there)."""
    record = {"price": str(price), "at": now_ms, "walk": walk}
    store.set_meta(f"market.{product.symbol_id}", json.dumps(record, separators=(",", ":")))
