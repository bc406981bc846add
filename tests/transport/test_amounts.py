"""An amount the server sends as NaN or Infinity, or too large to compute with (10**18 or more, e.g. ``1E+999999``:
finite, yet the first sum overflows), never reaches the user as a Decimal: a required amount fails the call, an
optional one degrades to None with a warning (an error under ``strict=True``)."""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal as Dec

import pytest
from transport_helpers import RawServer, answer, canned

from multimarkets import AsyncBridgeClient, BridgeClient, Credentials, ResponseFormatError, TradingAccount
from multimarkets._read import AMOUNT_DIGITS

ACCOUNT = TradingAccount("binance", "main", "86000001")


def balances(amount: str) -> bytes:
    rows = [{"currency": "USDT", "balance": "12.5", "locked": "0"}, {"currency": "BTC", "balance": "1", "locked": "0"}]
    body = json.dumps({"code": "0", "msg": "Success", "ok": True, "fail": False, "data": rows})
    return body.replace('"balance": "1"', f'"balance": {amount}').encode()


TOO_LARGE = ['"1E+999999"', '"1E+999999999"', '"-1E+18"', '"1000000000000000000"', "1e300", "100000000000000000000"]


@pytest.mark.parametrize("amount", ['"NaN"', '"sNaN"', '"Infinity"', '"-Infinity"', '"-inf"', "1e400", *TOO_LARGE])
def test_a_required_amount_not_finite_or_too_large_is_a_response_format_error(
    serve, credentials: Credentials, amount: str
) -> None:
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


def test_the_largest_amount_read_stays_exact_and_computable(serve, credentials: Credentials) -> None:
    largest = "9" * AMOUNT_DIGITS + ".9999999999"
    server: RawServer = serve(canned(answer(200, balances(f'"-{largest}"'))))
    with BridgeClient(credentials, server.base_url, rate_limit=None, strict=True) as client:
        amount = client.trading.balances(ACCOUNT)[1].balance
    assert str(amount) == f"-{largest}" and amount.quantize(Dec("1E-10")) * 2 + 1 < 0


def deposits(amount: str) -> bytes:
    row = {"currency": "USDT", "amount": "__", "status": 1, "txId": "0xabc"}
    body = json.dumps({"code": "0", "msg": "Success", "ok": True, "fail": False, "data": [row]})
    return body.replace('"__"', amount).encode()


def test_an_optional_amount_too_large_degrades_with_a_warning_or_raises_when_strict(
    serve, credentials: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    for amount in TOO_LARGE:
        server: RawServer = serve(canned(answer(200, deposits(amount))))
        with BridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0) as client:
            with caplog.at_level(logging.WARNING, logger="multimarkets"):
                (deposit,) = client.trading.deposits(ACCOUNT)
            assert (deposit.amount, deposit.tx_id) == (None, "0xabc") and deposit.raw["amount"] == json.loads(amount)
        with (
            BridgeClient(credentials, server.base_url, rate_limit=None, max_retries=0, strict=True) as client,
            pytest.raises(ResponseFormatError, match=r"\$\[0\]\.amount"),
        ):
            client.trading.deposits(ACCOUNT)
    # One warning for the place (the first value), as for any misfit.
    (warning,) = [r.getMessage() for r in caplog.records if "Deposit.amount" in r.getMessage()]
    assert f"10**{AMOUNT_DIGITS}" in warning
