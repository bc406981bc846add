"""What ``Sandbox.stats()`` and ``GET /__sandbox__/stats`` show of the Manager side, over HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from manager_wire import DICTIONARIES, PAGE

from multimarkets.sandbox import ManagerConfig

pytestmark = pytest.mark.anyio


async def test_manager_requests_outcomes_and_customers_are_counted_apart_from_the_bridge_side(start_manager):
    mgr = await start_manager(manager=ManagerConfig(rate_limit="2/60s"))
    await mgr.auth(app_secret="0" * 32)  # refused credentials
    await mgr.login()
    assert (await mgr.register(email="a@example.com")).code == "0"
    assert (await mgr.register(email="a@example.com")).code == "USCUSTOMER_API_0000107"
    assert (await mgr.call(PAGE, {"size": 20, "current": 1})).code == "0"
    assert (await mgr.call(PAGE, {"size": 20, "current": 1})).code == "0"
    assert (await mgr.call(PAGE, {"size": 20, "current": 1})).status == 429

    stats = mgr.sandbox.stats()
    assert {name: value for name, value in stats.items() if name.startswith("manager_")} == {
        "manager_requests": 7,
        "manager_ok": 4,
        "manager_rate_limited": 1,
        "manager_rejected": 1,
        "manager_biz_errors": 1,
        "manager_server_errors": 0,
        "manager_faults": 0,
        "manager_customers": 1,
    }
    assert (stats["requests"], stats["rate_limited"], stats["customers"]) == (0, 0, 0)
    async with mgr.session.get(f"{mgr.sandbox.url}/__sandbox__/stats") as answer:
        assert (await answer.json())["manager_requests"] == 7
    mgr.sandbox.reset()
    assert mgr.sandbox.stats()["manager_requests"] == mgr.sandbox.stats()["manager_customers"] == 0


async def test_faults_that_strike_manager_calls_are_counted_with_the_bridge_sides_and_on_their_own(start_manager):
    mgr = await start_manager(seed=1, faults="error5xx=1")
    await mgr.call(DICTIONARIES, {"parentCode": "phone_code"})
    mgr.sandbox.set_faults("reset_after_commit=1")
    with pytest.raises(aiohttp.ClientError):
        await mgr.call(DICTIONARIES, {"parentCode": "phone_code"})
    stats = mgr.sandbox.stats()
    assert (stats["fault_error5xx"], stats["fault_reset_after_commit"], stats["manager_faults"]) == (1, 1, 2)
    assert (stats["manager_requests"], stats["requests"]) == (2, 0)
