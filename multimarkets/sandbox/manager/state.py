"""Manager customers, their trading accounts and balance-update proposals, in the sandbox's :class:`Store`.

Records live in their own tables (``manager_customers``, ``manager_accounts``, ``manager_proposals``), so they
persist with ``db`` and are cleared by ``Sandbox.reset()`` like the Bridge tables. The lookup indexes below
are rebuilt from the tables at start and may point at records a reset removed; every lookup therefore checks
the record it finds.
"""

from __future__ import annotations

import asyncio
import json
import secrets

import attrs

from ..state import IDENTITY_PREFIX, CustomerBase, Store, Table
from .config import ManagerConfig
from .crypto import CompanyKey

__all__ = ["Account", "Customer", "Identity", "ManagerState", "Proposal"]

_IDENTITY_META = IDENTITY_PREFIX + "manager"


@attrs.frozen(kw_only=True)
class Customer(CustomerBase):
    """One customer registered through ``addCusAndOpenAccountAndKyc`` (status 1 normal)."""

    id: int
    customer_no: str
    company_id: int
    register_device: str | None
    utm_source: str | None
    third_server_code: str | None


@attrs.frozen
class Account:
    """One trading account; amounts are decimal strings with ``digits`` places."""

    account_id: int
    customer_id: int
    customer_no: str
    company_id: int
    trade_type: int
    currency: str
    assets_id: int
    digits: int
    balance: str
    withdrawable: str
    not_withdrawable: str
    create_time: int
    first_deposit_time: int | None = None


@attrs.frozen
class Proposal:
    """One accepted balance update (quota adjustment proposal)."""

    proposal_no: str
    customer_no: str
    account_id: int
    currency: str
    trade_type: int
    amount: str
    withdraw: bool
    remark: str | None
    create_time: int


@attrs.frozen
class Identity:
    """The app credentials and company key the sandbox accepts."""

    app_id: str
    app_secret: str = attrs.field(repr=False)
    key: CompanyKey


async def resolve_identity(config: ManagerConfig, store: Store) -> Identity:
    """The configured identity, completed from what the store remembers, else generated (and remembered)."""
    stored_text = store.get_meta(_IDENTITY_META)
    stored: dict[str, str] = json.loads(stored_text) if stored_text else {}
    app_id = config.app_id or stored.get("app_id") or secrets.token_hex(16)
    app_secret = config.app_secret or stored.get("app_secret") or secrets.token_hex(16)
    # Generating an RSA key takes long enough to stall the sandbox's loop (asyncio debug mode reports it).
    key = await asyncio.to_thread(CompanyKey, config.private_key or stored.get("private_key"))
    store.set_meta(
        _IDENTITY_META, json.dumps({"app_id": app_id, "app_secret": app_secret, "private_key": key.private_key})
    )
    return Identity(app_id, app_secret, key)


class ManagerState:
    """The Manager tables plus lookups by phone, e-mail, third-party code and customer."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.customers: Table[Customer] = store.table("manager_customers", Customer)
        self.accounts: Table[Account] = store.table("manager_accounts", Account)
        self.proposals: Table[Proposal] = store.table("manager_proposals", Proposal)
        self._by_contact: dict[tuple[str, ...], str] = {}
        self._accounts_of: dict[str, list[int]] = {}
        for customer in self.customers.values():
            self._index_customer(customer)
        for account in self.accounts.values():
            self._accounts_of.setdefault(account.customer_no, []).append(account.account_id)

    def _index_customer(self, customer: Customer) -> None:
        for key in _contact_keys(customer):
            self._by_contact[key] = customer.customer_no

    def owner(self, key: tuple[str, ...]) -> Customer | None:
        """The customer holding a contact key (see :func:`contact_key`), if still stored."""
        customer_no = self._by_contact.get(key)
        customer = self.customers.get(customer_no) if customer_no else None
        if customer is None or key not in _contact_keys(customer):
            return None
        return customer

    def add_customer(self, customer: Customer) -> None:
        """Store a new customer and index it."""
        self.customers.put(customer.customer_no, customer)
        self._index_customer(customer)

    def put_account(self, account: Account) -> None:
        """Store (insert or replace) an account."""
        if account.account_id not in self._accounts_of.setdefault(account.customer_no, []):
            self._accounts_of[account.customer_no].append(account.account_id)
        self.accounts.put(str(account.account_id), account)

    def accounts_of(self, customer_no: str) -> list[Account]:
        """The customer's accounts, oldest first."""
        found = (self.accounts.get(str(i)) for i in self._accounts_of.get(customer_no, []))
        return [a for a in found if a is not None and a.customer_no == customer_no]

    def company_customers(self, company_id: int) -> list[Customer]:
        """Every customer of the company, oldest first."""
        return [c for c in self.customers.values() if c.company_id == company_id]


def contact_key(kind: str, company_id: int, *parts: str) -> tuple[str, ...]:
    """A uniqueness key: ``("phone", company, area, phone)``, ``("email", company, email)``, ``("third", ...)``."""
    return (kind, str(company_id), *parts)


def _contact_keys(customer: Customer) -> list[tuple[str, ...]]:
    keys = []
    if customer.phone:
        keys.append(contact_key("phone", customer.company_id, customer.phone_area or "", customer.phone))
    if customer.email:
        keys.append(contact_key("email", customer.company_id, customer.email.lower()))
    if customer.third_server_code:
        keys.append(contact_key("third", customer.company_id, customer.third_server_code))
    return keys
