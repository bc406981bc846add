"""Pagination: one page at a time with ``list``, or every item with ``iterate``.

    python examples/pagination.py

registers 25 customers in an embedded sandbox, then reads them back both ways.
"""

from __future__ import annotations

import asyncio

from multimarkets import AsyncBridgeClient
from multimarkets.sandbox import Sandbox


async def main() -> None:
    async with (
        Sandbox(rate_limit="1000/1s") as sandbox,
        AsyncBridgeClient(sandbox.credentials, sandbox.base_url, trust_env=False) as client,
    ):
        for i in range(25):
            await client.customers.register(
                email=f"user{i}@example.com", password="a123456", country="GB", register_source="PC_WEB"
            )

        page = await client.customers.list(page=1, size=10)  # one request: items, page, size, total, has_next
        print(f"page {page.page}: {len(page.items)} of {page.total} customers, more: {page.has_next}")
        while page.has_next:
            page = await client.customers.list(page=page.page + 1, size=10)
            print(f"page {page.page}: {len(page.items)} customers")

        emails = [customer.email async for customer in client.customers.iterate(size=10)]  # every page in turn
        print(f"iterated over {len(emails)} customers")


if __name__ == "__main__":
    asyncio.run(main())
