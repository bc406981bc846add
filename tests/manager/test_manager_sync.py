"""The generated blocking ``ManagerClient`` over the same contract server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from manager_contract import APP_ID, APP_SECRET, ContractServer

from multimarkets import ManagerClient, ManagerCredentials, OutcomeUnknownError, RateLimit

BALANCE = "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal"


def test_sync_client_calls_every_namespace(server_in_thread: ContractServer) -> None:
    credentials = ManagerCredentials(APP_ID, APP_SECRET)
    with ManagerClient(credentials, server_in_thread.url, rate_limit=RateLimit(1000, 1.0), strict=True) as client:
        assert [c.customer_no for c in client.customers.iterate(size=500)] == ["86000020"]
        assert client.customers.register(email="a@b.cn", password="pw", country="CN", accounts={5: "USDT"})
        assert client.catalog.dictionaries("phone_code")[0].id == 1300
        assert client.accounts.list("86000188", 1)[0].available == Decimal("47.319290")
        server_in_thread.fault[BALANCE] = "drop"
        with pytest.raises(OutcomeUnknownError):
            client.accounts.update_balance("86000188", currency="USDT", trade_type=1, amount="-5")
    assert server_in_thread.count(BALANCE) == 1
    assert server_in_thread.auth_calls == 1
    assert repr(client).startswith("ManagerClient(")
