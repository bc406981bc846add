"""Manager API quick start, sync: the same calls through the blocking ``ManagerClient``.

    python examples/manager_quickstart_sync.py

runs against the embedded sandbox's Manager side (in a thread of its own), so it needs no account.
"""

from __future__ import annotations

from multimarkets import ManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox

with Sandbox.in_thread() as sandbox:
    given = sandbox.manager_credentials
    credentials = ManagerCredentials(given.app_id, given.app_secret)
    with ManagerClient(credentials, sandbox.manager_base_url, trust_env=False) as manager:
        customer_no = manager.customers.register(
            phone="13200000092", password="a123456", country="CN", accounts={5: "USDT"}
        )
        page = manager.customers.list(customer_no)
        print(f"registered {customer_no}: {page.items[0].phone}")
