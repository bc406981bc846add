"""Quick start, sync: the same as ``quickstart_async.py`` without ``async``/``await``.

    python examples/quickstart_sync.py

``BridgeClient`` runs the async core on a background event loop of its own, so it works in scripts, threads,
notebooks and inside a running event loop alike. Against the service:
``BridgeClient(Credentials.from_env(), PRODUCTION_URL)``. ``trust_env=False`` keeps an ``HTTP_PROXY`` of the
environment off the sandbox's loopback traffic.
"""

from __future__ import annotations

from multimarkets import BridgeClient, RegisterSource
from multimarkets.sandbox import Sandbox


def main() -> None:
    with Sandbox.in_thread() as sandbox, BridgeClient(sandbox.credentials, sandbox.base_url, trust_env=False) as client:
        customer_no = client.customers.register(
            phone="13200000092",
            phone_area="+86",
            password="a123456",
            country="CN",
            register_source=RegisterSource.IOS,
        )
        customer = client.customers.get(customer_no)
        print(f"registered {customer_no}: {customer.phone}, {customer.status.name}")


if __name__ == "__main__":
    main()
