"""What the trading tests share (a plain module: ``conftest`` names are ambiguous across test dirs)."""

from __future__ import annotations

from multimarkets import TradingAccount

BTCUSDT = 59
ETHUSDT = 60
DAY_MS = 24 * 3600 * 1000


def block(account: TradingAccount) -> dict[str, object]:
    """The account block as it must appear on the wire."""
    return {
        "tradeType": 10,
        "exchangeId": account.exchange_id.value,
        "accountName": account.account_name,
        "customerNo": account.customer_no,
        "customerGroupId": account.customer_group_id,
    }
