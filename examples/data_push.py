"""Manager Data Push, async: follow the live events while a customer registers and gets a balance update.

    python examples/data_push.py

runs against the embedded sandbox's Manager side, so it needs no account. Against the service, build the
client from ``ManagerCredentials.from_env()`` and ``MANAGER_PRODUCTION_URL`` (or ``MANAGER_TEST_URL``), and
give the group a name of your own: the service replays to a group what it missed while it was away.
"""

from __future__ import annotations

import asyncio
import contextlib

from multimarkets import AsyncManagerClient, ManagerCredentials
from multimarkets.manager.push import AccountAdjustEvent, DataPushEvent, RegisterEvent
from multimarkets.sandbox import Sandbox


def show(event: DataPushEvent) -> None:
    if isinstance(event, RegisterEvent):
        print(f"register {event.customer_no} ({event.register_type.name if event.register_type else '?'})")
    elif isinstance(event, AccountAdjustEvent):
        print(f"account_adjust {event.customer_no}: {event.amount} {event.account_currency}")
    else:
        print(event.event_type)


async def follow(manager: AsyncManagerClient, count: int) -> None:
    # aclosing: leaving the block closes the WebSocket at once.
    async with contextlib.aclosing(manager.data_push.events("example-group")) as events:
        async for event in events:
            show(event)
            count -= 1
            if count == 0:
                return


async def main() -> None:
    async with Sandbox() as sandbox:
        given = sandbox.manager_credentials
        credentials = ManagerCredentials(given.app_id, given.app_secret)
        async with AsyncManagerClient(credentials, sandbox.manager_base_url, trust_env=False) as manager:
            following = asyncio.ensure_future(follow(manager, count=3))
            # A new group gets the events from its first connection on: act once the stream is connected.
            while sandbox.stats()["push_connections"] == 0:  # noqa: ASYNC110 - a sandbox counter, no event
                await asyncio.sleep(0.01)
            customer_no = await manager.customers.register(
                email="ada@example.com", password="a123456", country="GB", accounts={1: ["USDT"]}
            )
            await manager.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount="5")
            await following


if __name__ == "__main__":
    asyncio.run(main())
