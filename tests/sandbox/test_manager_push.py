"""Manager Data Push over a real WebSocket on loopback: events caused by registrations and balance updates,
the text ping, groups, replay after a reconnect, and injected drops."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from manager_wire import ACCOUNTS, BALANCE_UPDATE

from multimarkets.sandbox import ManagerConfig

pytestmark = pytest.mark.anyio

# Field names and JSON types of reference §6.4.
REGISTER_FIELDS = {
    "companyId": int, "country": str, "createTime": int, "customerGroupId": int, "customerNo": str, "ext2": str,
    "ext4": str, "id": str, "kycAuditRemark": str, "kycAuditStatus": int, "language": str, "optional": int,
    "phone": str, "phoneArea": str, "email": str, "emailArea": str, "registerSource": int, "registerType": int,
    "status": int,
}  # fmt: skip
OPEN_ACCOUNT_FIELDS = {
    "activateStatus": int, "companyId": int, "createTime": int, "currency": int, "currencyCode": str,
    "customerId": int, "customerNo": str, "digits": int, "id": str, "status": int, "tradeType": int, "type": int,
    "updateTime": int,
}  # fmt: skip
ACCOUNT_ADJUST_FIELDS = {
    "accountCurrency": str, "accountId": int, "amount": Decimal, "businessType": int, "checkBy": str,
    "checkStatus": int, "companyId": int, "createBy": str, "createTime": int, "customerNo": str, "id": str,
    "proposalNo": str, "revision": int, "tradeType": int, "updateBy": str, "updateTime": int, "withdraw": bool,
}  # fmt: skip


def ws_url(mgr) -> str:
    return mgr.sandbox.manager_base_url.replace("http://", "ws://") + "/ws"


async def connect(mgr, group: str = "g1", **options: Any) -> aiohttp.ClientWebSocketResponse:
    return await mgr.session.ws_connect(ws_url(mgr), headers={"token": mgr.token, "group": group}, **options)


async def next_event(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive(timeout=10)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data, parse_float=Decimal)  # type: ignore[no-any-return]


def assert_fields(data: dict[str, Any], fields: dict[str, type]) -> None:
    assert set(data) == set(fields)
    for name, kind in fields.items():
        assert type(data[name]) is kind, (name, data[name])


@pytest.fixture
async def mgr(start_manager):
    raw = await start_manager()
    await raw.login()
    return raw


async def test_the_handshake_needs_a_token(mgr):
    for token, code in ((None, "GGATEWAY_CODE_001"), ("nope", "GGATEWAY_CODE_017")):
        headers = {"token": token} if token else {}
        with pytest.raises(aiohttp.WSServerHandshakeError) as failed:
            await mgr.session.ws_connect(ws_url(mgr), headers=headers)
        assert failed.value.status == 401
        async with mgr.session.get(ws_url(mgr), headers=headers) as response:
            assert (await response.json())["code"] == code


async def test_registration_and_balance_update_are_pushed_in_order(mgr):
    ws = await connect(mgr)
    customer_no = (await mgr.register(phone="13200000001")).data
    register = await next_event(ws)
    assert register["eventType"] == "register" and set(register) == {"data", "eventType"}
    assert_fields(register["data"], REGISTER_FIELDS)
    assert (register["data"]["customerNo"], register["data"]["registerType"]) == (customer_no, 2)
    opened = await next_event(ws)
    assert opened["eventType"] == "open_account"
    assert_fields(opened["data"], OPEN_ACCOUNT_FIELDS)
    (account,) = (await mgr.call(ACCOUNTS, {"customerNo": customer_no, "tradeType": 1})).data
    assert opened["data"]["id"] == str(account["accountId"])
    update = {
        "customerNo": customer_no,
        "accountCurrency": "USDT",
        "tradeType": 1,
        "businessType": 4,
        "amount": "2.50",
        "withdraw": True,
    }
    proposal_no = (await mgr.call(BALANCE_UPDATE, update)).data
    adjust = await next_event(ws)
    assert adjust["eventType"] == "account_adjust"
    assert_fields(adjust["data"], ACCOUNT_ADJUST_FIELDS)
    assert (adjust["data"]["proposalNo"], adjust["data"]["amount"]) == (proposal_no, Decimal("2.50"))
    await ws.close()


async def test_text_ping_gets_a_pong_frame(mgr):
    ws = await connect(mgr, autoping=False)
    await ws.send_str("ping")
    assert (await ws.receive(timeout=10)).type is aiohttp.WSMsgType.PONG
    await ws.close()


async def test_a_new_group_starts_now_and_a_known_group_gets_what_it_missed(mgr):
    mgr.sandbox.push_event("custom_before", {"n": 0})
    ws = await connect(mgr, group="g1")
    mgr.sandbox.push_event("custom", {"n": 1})
    assert (await next_event(ws))["data"] == {"n": 1}
    await ws.close()
    mgr.sandbox.push_event("custom", {"n": 2})
    mgr.sandbox.push_event("custom", {"n": 3})
    other = await connect(mgr, group="g2")
    again = await connect(mgr, group="g1")
    assert [(await next_event(again))["data"]["n"] for _ in range(2)] == [2, 3]
    mgr.sandbox.push_event("custom", {"n": 4})
    assert (await next_event(other))["data"] == {"n": 4}
    assert (await next_event(again))["data"] == {"n": 4}
    await other.close()
    await again.close()


async def test_the_same_group_twice_kicks_the_first_out(mgr):
    first = await connect(mgr)
    second = await connect(mgr)
    closed = await first.receive(timeout=10)
    assert (closed.type, first.close_code) == (aiohttp.WSMsgType.CLOSE, 4000)
    mgr.sandbox.push_event("custom", {"n": 1})
    assert (await next_event(second))["data"] == {"n": 1}
    await second.close()


async def test_a_drop_replays_the_last_messages_after_reconnect(mgr):
    ws = await connect(mgr)
    for n in range(1, 6):
        mgr.sandbox.push_event("custom", {"n": n})
    assert [(await next_event(ws))["data"]["n"] for _ in range(5)] == [1, 2, 3, 4, 5]
    assert mgr.sandbox.drop_push_connections() == 1
    assert (await ws.receive(timeout=10)).type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 4001
    again = await connect(mgr)
    assert [(await next_event(again))["data"]["n"] for _ in range(3)] == [3, 4, 5]
    await again.close()


async def test_random_drops_lose_nothing(start_manager):
    mgr = await start_manager(manager=ManagerConfig(push_drop_rate=0.3), seed=7)
    await mgr.login()
    for n in range(1, 41):
        mgr.sandbox.push_event("custom", {"n": n})
    ws = await connect(mgr, group="g1")  # the group starts after those: they are not for it
    for n in range(41, 81):
        mgr.sandbox.push_event("custom", {"n": n})
    seen: list[int] = []
    drops = 0
    while len(set(seen)) < 40:
        message = await ws.receive(timeout=10)
        if message.type is aiohttp.WSMsgType.TEXT:
            seen.append(json.loads(message.data)["data"]["n"])
        else:
            assert ws.close_code == 4001
            drops += 1
            ws = await connect(mgr, group="g1")
    await ws.close()
    assert drops > 0 and len(seen) > 40
    assert sorted(set(seen)) == list(range(41, 81))


async def test_admin_endpoints_push_and_drop(mgr):
    ws = await connect(mgr)
    admin = mgr.sandbox.url + "/__sandbox__/manager"
    async with mgr.session.post(f"{admin}/push", json={"eventType": "kyc", "data": {"id": "1"}}) as response:
        assert response.status == 200
    assert await next_event(ws) == {"data": {"id": "1"}, "eventType": "kyc"}
    async with mgr.session.post(f"{admin}/push", json={"data": {}}) as response:
        assert response.status == 400
    async with mgr.session.post(f"{admin}/drop") as response:
        assert await response.json() == {"dropped": 1}
    assert (await ws.receive(timeout=10)).type is aiohttp.WSMsgType.CLOSE
