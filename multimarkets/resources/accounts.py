"""``client.accounts``: the exchange accounts (exchange API keys) attached to customers (reference §6.9-6.11)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..models._checks import request_of
from ..models.accounts import Account, AccountListRequest, AddAccountRequest, UpdateAccountRequest
from ..models.enums import AccountType, ExchangeCode
from ..models.paging import Page
from ._base import AsyncResource
from ._paging import walk

__all__ = ["ADD_ACCOUNT", "LIST_ACCOUNTS", "UPDATE_ACCOUNT", "AsyncAccounts"]

ADD_ACCOUNT = "customer.admin.CustomerDirectAccAdminApiService.add"
UPDATE_ACCOUNT = "customer.admin.CustomerDirectAccAdminApiService.edit"
LIST_ACCOUNTS = "customer.admin.CustomerDirectAccAdminApiService.getPage"


class AsyncAccounts(AsyncResource):
    """Attach, change and list customers' exchange accounts. The exchange secrets are sent, never shown back."""

    __slots__ = ()

    async def add(
        self,
        customer_no: str,
        *,
        exchange_code: ExchangeCode | str,
        account_type: AccountType | str,
        account_name: str,
        api_key: str,
        secret_key: str,
        passphrase: str | None = None,
        certificate: str | None = None,
        is_test: bool = False,
    ) -> None:
        """Attach an exchange account to a customer under ``account_name`` (the name trading calls use).

        ``api_key``/``secret_key`` are the exchange's (Cumberland: counterpartyId/userId); ``passphrase`` is
        OKX's; ``certificate`` (hex of a PKCS#12 file) is required for Cumberland. Binance keys must whitelist
        the platform's IPs. The service answers no id: find the new record with :meth:`list`.
        """
        request = request_of(AddAccountRequest, locals())
        # Retrying a lost answer is guarded by the account name: trading calls address an account by
        # (customer, exchange, name), so the service must refuse a second account with the same name. A repeat
        # after an ambiguous attempt then fails with ``after_ambiguous`` set instead of adding a twin.
        await self._send(ADD_ACCOUNT, request)

    async def update(
        self,
        account_id: str | int,
        *,
        account_name: str | None = None,
        api_key: str | None = None,
        secret_key: str | None = None,
        passphrase: str | None = None,
        certificate: str | None = None,
    ) -> None:
        """Change the name or the keys of the account record ``account_id`` (``Account.id``); give at least one."""
        request = request_of(UpdateAccountRequest, locals())
        # Setting fields to given values is idempotent.
        await self._send(UPDATE_ACCOUNT, request)

    async def list(
        self,
        customer_no: str | None = None,
        *,
        exchange_code: ExchangeCode | str | None = None,
        account_type: AccountType | str | None = None,
        account_name: str | None = None,
        page: int = 1,
        size: int = 20,
    ) -> Page[Account]:
        """One page of exchange accounts, optionally filtered (``page`` counts from 1)."""
        request = request_of(AccountListRequest, locals())
        return await self._post(LIST_ACCOUNTS, request, Page[Account])

    async def iterate(
        self,
        customer_no: str | None = None,
        *,
        exchange_code: ExchangeCode | str | None = None,
        account_type: AccountType | str | None = None,
        account_name: str | None = None,
        size: int = 100,
    ) -> AsyncIterator[Account]:
        """Every matching exchange account, walking the pages in order (``size`` per request)."""
        pages = walk(
            lambda page: self.list(
                customer_no,
                exchange_code=exchange_code,
                account_type=account_type,
                account_name=account_name,
                page=page,
                size=size,
            )
        )
        async for account in pages:
            yield account
