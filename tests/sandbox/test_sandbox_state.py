"""State: SQLite persistence across restarts, the store's tables, reset."""

from __future__ import annotations

import stat

import attrs
import pytest

from multimarkets.errors import ConfigurationError
from multimarkets.sandbox import Sandbox
from multimarkets.sandbox.state import Store

pytestmark = pytest.mark.anyio

SUBSCRIBE = "admin.admin.CompanyApiKeyDubboService.subscribe"
DESTROY = "customer.admin.WhiteCustomerAdminApiService.destroyByCustomerNo"


async def test_a_file_that_is_not_a_database_is_a_configuration_error(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("not a database, " * 100)
    with pytest.raises(ConfigurationError, match="not a usable sandbox database"):
        await Sandbox(db=db).start()


async def test_db_files_are_readable_by_their_owner_only(tmp_path, connect):
    db = tmp_path / "sandbox.db"
    async with Sandbox(db=db) as sb:
        assert (await connect(sb).register(phone="13200000001")).code == "0"
        files = sorted(path.name for path in tmp_path.iterdir())
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()}
    assert files == ["sandbox.db", "sandbox.db-shm", "sandbox.db-wal"]
    assert modes == dict.fromkeys(files, 0o600)


async def test_a_db_path_that_cannot_be_created_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot create the sandbox database"):
        await Sandbox(db=tmp_path / "missing" / "sandbox.db").start()


async def test_db_file_survives_a_restart(tmp_path, connect):
    db = tmp_path / "sandbox.db"
    async with Sandbox(db=db) as first:
        raw = connect(first)
        assert (await raw.register(phone="13200000001")).data == "86000001"
        assert (await raw.register(email="a@example.com")).data == "86000002"
        await raw.call(DESTROY, {"customerNo": "86000002", "remark": "bye", "isAuto": True})
        await raw.call(SUBSCRIBE, {"apiKey": raw.credentials.api_key, "webhookUrl": "http://127.0.0.1:9/hook"})
        credentials, platform_key = first.credentials, first.platform_public_key
        before = first.customers()

    async with Sandbox(db=db) as second:
        assert second.credentials == credentials  # the same keys, so an existing client keeps working
        assert second.platform_public_key == platform_key
        assert second.customers() == before
        raw = connect(second)
        assert (await raw.register(phone="13200000001")).code == "USCUSTOMER_API_0000106"
        assert (await raw.register(email="a@example.com")).data == "86000003"  # cancelled: e-mail released
        assert second.stats()["customers"] == 3


async def test_explicit_secret_key_wins_over_the_stored_one(tmp_path):
    db = tmp_path / "sandbox.db"
    async with Sandbox(db=db) as first:
        stored = first.credentials
    async with Sandbox(db=db, secret_key=stored.secret_key, api_keys=2) as second:
        assert second.credentials == stored
        async with Sandbox(db=tmp_path / "other.db", secret_key=stored.secret_key) as third:
            assert third.credentials.secret_key == stored.secret_key
            assert third.credentials.api_key != stored.api_key


async def test_in_memory_state_does_not_survive(connect):
    async with Sandbox() as first:
        await connect(first).register(phone="13200000001")
    async with Sandbox() as second:
        assert second.customers() == []


async def test_reset_clears_state_counters_and_the_db_but_keeps_keys(tmp_path, connect):
    db = tmp_path / "sandbox.db"
    async with Sandbox(db=db, faults="html403=0") as sb:
        raw = connect(sb)
        await raw.register(phone="13200000001")
        credentials = sb.credentials
        reply = await raw.admin("POST", "reset")
        assert reply.json == {"ok": True}
        assert sb.customers() == []
        stats = sb.stats()
        assert (stats["requests"], stats["customers"], stats["faults"]) == (0, 0, "html403=0")
        assert (await raw.register(phone="13200000001")).data == "86000001"
    async with Sandbox(db=db) as again:
        assert again.credentials == credentials
        assert [c["customer_no"] for c in again.customers()] == ["86000001"]


@attrs.frozen
class Order:
    order_id: str
    qty: str
    fills: tuple[str, ...] = ()


def test_store_tables_for_other_domains(tmp_path):
    path = tmp_path / "store.db"
    store = Store(path)
    orders = store.table("orders", Order)
    orders.put("o-1", Order("o-1", "1.5", ("0.5",)))
    assert store.table("orders", Order) is orders
    with pytest.raises(TypeError):
        store.table("orders", dict)
    assert store.next_number("order", 100) == 100
    assert store.next_number("order", 100) == 101
    store.close()

    reopened = Store(path)
    assert reopened.table("orders", Order).get("o-1") == Order("o-1", "1.5", ("0.5",))
    assert reopened.next_number("order", 100) == 102
    reopened.table("orders", Order).delete("o-1")
    reopened.clear()
    assert reopened.next_number("order", 100) == 100
    reopened.close()
    emptied = Store(path)
    assert len(emptied.table("orders", Order)) == 0
    emptied.close()
