"""client.catalog: dictionaries, currencies, products."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from multimarkets import ConfigStatus, Currency, DictionaryItem, Product, ValidationError
from multimarkets.resources.catalog import CURRENCIES, DICTIONARIES, PRODUCTS

pytestmark = pytest.mark.anyio


async def test_dictionaries_phone_codes(client, recorder):
    items = await client.catalog.dictionaries("phone_code")
    assert recorder.last(DICTIONARIES).body == {"parentCode": "phone_code"}
    assert recorder.last(DICTIONARIES).group is None
    assert all(isinstance(item, DictionaryItem) for item in items)
    china = next(item for item in items if item.code == "+86")
    assert china.parent_code == "phone_code" and china.status is ConfigStatus.ENABLED
    assert china.create_time == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert china.raw["createTime"] == 1_704_067_200_000


async def test_dictionaries_of_a_currency_are_its_chains(client):
    chains = [item.code for item in await client.catalog.dictionaries("USDT")]
    assert "Tron(TRC20)" in chains and "Ethereum(ERC20)" in chains


async def test_unknown_dictionary_is_empty(client):
    assert await client.catalog.dictionaries("no_such_code") == []


async def test_dictionary_code_is_validated_before_sending(client, requests_sent):
    before = requests_sent()
    with pytest.raises(ValidationError) as caught:
        await client.catalog.dictionaries("  ")
    assert caught.value.field == "parent_code"
    assert requests_sent() == before


async def test_currencies(client, recorder, sandbox):
    currencies = {c.code: c for c in await client.catalog.currencies()}
    body = recorder.last(CURRENCIES).body
    assert body == {"companyId": sandbox.credentials.company_id} and isinstance(body["companyId"], str)
    assert isinstance(currencies["USDT"], Currency)
    assert (currencies["USDT"].id, currencies["USDT"].digits) == (13, 4)
    assert (currencies["BTC"].id, currencies["BTC"].digits) == (16, 8)
    assert (currencies["ETH"].id, currencies["ETH"].digits) == (100, 6)
    assert currencies["USDT"].raw["bizName"] == "ASSETS"


async def test_products_all_and_filtered(client, recorder, sandbox):
    every = await client.catalog.products()
    assert recorder.last(PRODUCTS).body == {"companyId": sandbox.credentials.company_id}
    bridge = await client.catalog.products(trade_type=10)
    assert recorder.last(PRODUCTS).body == {"companyId": sandbox.credentials.company_id, "tradeType": 10}
    assert {p.symbol_code for p in bridge} < {p.symbol_code for p in every}
    btc = next(p for p in bridge if p.symbol_code == "BTCUSDT")
    assert isinstance(btc, Product)
    assert (btc.symbol_id, btc.base_currency, btc.profit_currency, btc.trade_type) == (59, "BTC", "USDT", 10)
    assert btc.in_trade_time == 1 and len(btc.trade_time_list) == 7
    assert btc.trade_time_list[0].end_time == 86_400


async def test_products_trade_type_is_validated(client, requests_sent):
    before = requests_sent()
    with pytest.raises(ValidationError):
        await client.catalog.products(trade_type=0)
    assert requests_sent() == before
