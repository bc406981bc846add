"""Quick start, async: register a customer and read it back.

    python examples/quickstart_async.py

runs against an embedded sandbox, so it needs no account. Against the service, build the client from
``Credentials.from_env()`` (``MULTIMARKETS_API_KEY``, ``MULTIMARKETS_SECRET_KEY``, ``MULTIMARKETS_COMPANY_ID``)
and ``PRODUCTION_URL`` (or ``TEST_URL``) instead. ``trust_env=False`` keeps an ``HTTP_PROXY`` of the
environment off the sandbox's loopback traffic; drop it against the service if you send through that proxy.
"""

from __future__ import annotations

import asyncio

from multimarkets import AsyncBridgeClient, RegisterSource
from multimarkets.sandbox import Sandbox


async def main() -> None:
    async with (
        Sandbox() as sandbox,
        AsyncBridgeClient(sandbox.credentials, sandbox.base_url, trust_env=False) as client,
    ):
        customer_no = await client.customers.register(
            email="ada@example.com",
            password="a123456",  # hashed to MD5 for you; or password_md5=...
            country="GB",
            register_source=RegisterSource.PC_WEB,
        )
        customer = await client.customers.get(customer_no)
        print(f"registered {customer_no}: {customer.email}, {customer.status.name}")


if __name__ == "__main__":
    asyncio.run(main())
