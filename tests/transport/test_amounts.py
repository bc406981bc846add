"""An amount the server sends as NaN or Infinity never reaches the user as a Decimal to compute with."""

from __future__ import annotations

import asyncio
import json

import pytest
from transport_helpers import RawServer, answer, canned

from multimarkets import AsyncBridgeClient, BridgeClient, Credentials, ResponseFormatError, TradingAccount

ACCOUNT = TradingAccount("binance", "main", "86000001")


def balances(amount: str) -> bytes:
    rows = [{"currency": "USDT", "balance": "12.5", "locked": "0"}, {"currency": "BTC", "balance": "1", "locked": "0"}]
    body = json.dumps({"code": "0", "msg": "Success", "ok": True, "fail": False, "data": rows})
    return body.replace('"balance": "1"', f'"balance": {amount}').encode()


@pytest.mark.parametrize("amount", ['"NaN"', '"sNaN"', '"Infinity"', '"-Infinity"', '"-inf"', "1e400"])
def test_a_non_finite_amount_is_a_response_format_error(serve, credentials: Credentials, amount: str) -> None:
    server: RawServer = serve(canned(answer(200, balances(amount))))

    async def with_async() -> None:
        async with AsyncBridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0) as client:
            await client.trading.balances(ACCOUNT)

    with pytest.raises(ResponseFormatError) as caught:
        asyncio.run(with_async())
    assert caught.value.code == "BAD_DATA" and "$[1].balance" in str(caught.value)
    with (
        BridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0) as client,
        pytest.raises(ResponseFormatError),
    ):
        client.trading.balances(ACCOUNT)


def test_finite_amounts_stay_exact(serve, credentials: Credentials) -> None:
    server: RawServer = serve(canned(answer(200, balances('"0.000000010"'))))
    with BridgeClient(credentials, server.base_url, rate_limit=None) as client:
        assert [str(b.balance) for b in client.trading.balances(ACCOUNT)] == ["12.5", "1.0E-8"]
