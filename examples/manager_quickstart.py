"""Manager API quick start, async: register a customer with a trading account, credit a bonus, read it back.

    python examples/manager_quickstart.py

runs against the embedded sandbox's Manager side, so it needs no account. Against the service, build the
client from ``ManagerCredentials.from_env()`` (``MULTIMARKETS_MANAGER_APP_ID``,
``MULTIMARKETS_MANAGER_APP_SECRET``) and ``MANAGER_PRODUCTION_URL`` (or ``MANAGER_TEST_URL``) instead.
"""

from __future__ import annotations

import asyncio

from multimarkets import AsyncManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox


async def main() -> None:
    async with Sandbox() as sandbox:
        given = sandbox.manager_credentials
        credentials = ManagerCredentials(given.app_id, given.app_secret)
        async with AsyncManagerClient(credentials, sandbox.manager_base_url, trust_env=False) as manager:
            customer_no = await manager.customers.register(
                email="ada@example.com",
                password="a123456",  # hashed to MD5 for you; or password_md5=...
                country="GB",
                accounts={1: ["USDT"]},  # trading mode 1 (contract, full position) in USDT
            )
            await manager.accounts.update_balance(customer_no, currency="USDT", trade_type=1, amount="5")
            (account,) = await manager.accounts.list(customer_no, trade_type=1)
            print(f"registered {customer_no}: {account.currency} balance {account.balance}")


if __name__ == "__main__":
    asyncio.run(main())
