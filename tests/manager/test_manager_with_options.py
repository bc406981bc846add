"""``with_options`` on the Manager clients: the copy shares the token (one auth call, one renewal in flight) and
the connections, and keeps its own retries, against the contract server over loopback."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from manager_contract import APP_ID, APP_SECRET, ContractServer

from multimarkets import ClientClosedError, ConfigurationError, ManagerClient, ManagerCredentials, ServerError
from multimarkets.manager import AsyncManagerClient

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"

pytestmark = pytest.mark.anyio


async def test_a_copy_shares_the_token_and_its_renewal(manager: AsyncManagerClient, server: ContractServer) -> None:
    copy = manager.with_options(timeout=5.0)
    async with anyio.create_task_group() as tg:
        for client in (manager, copy) * 5:
            tg.start_soon(client.customers.list)
    assert server.auth_calls == 1
    server.expire_tokens()
    async with anyio.create_task_group() as tg:
        for client in (copy, manager) * 5:
            tg.start_soon(client.customers.list)
    assert server.auth_calls == 2
    assert server.count(PAGE) == 20


async def test_a_copy_without_retries_sends_once_where_its_client_retries(
    manager: AsyncManagerClient, server: ContractServer
) -> None:
    server.fault[PAGE] = "500"
    with pytest.raises(ServerError):
        await manager.with_options(max_retries=0).customers.list()
    assert server.count(PAGE) == 1
    with pytest.raises(ServerError):
        await manager.customers.list()
    assert server.count(PAGE) == 1 + 3


async def test_closing_a_copy_leaves_the_manager_client_open(
    manager: AsyncManagerClient, server: ContractServer
) -> None:
    copy = manager.with_options(max_retries=1)
    await copy.aclose()
    with pytest.raises(ClientClosedError):
        await copy.customers.list()
    assert (await manager.customers.list()).items
    with pytest.raises(ConfigurationError, match="timeout"):
        manager.with_options(timeout=-2)


def test_the_sync_manager_copy_shares_the_token(server_in_thread: ContractServer) -> None:
    options: dict[str, Any] = {"strict": True, "trust_env": False}
    with ManagerClient(ManagerCredentials(APP_ID, APP_SECRET), server_in_thread.url, **options) as client:
        copy = client.with_options(timeout=5.0, max_retries=0)
        assert isinstance(copy, ManagerClient)
        assert client.customers.list().items and copy.customers.list().items
        server_in_thread.fault[PAGE] = "500"
        with pytest.raises(ServerError):
            copy.customers.list()
        copy.close()
        del server_in_thread.fault[PAGE]
        assert client.customers.list().items
    assert server_in_thread.auth_calls == 1
    assert server_in_thread.count(PAGE) == 4
