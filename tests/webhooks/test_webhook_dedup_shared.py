"""The SQLite and Redis dedup stores: the in-memory store's claim / complete / release semantics shared across
processes, claims that expire, and one notification delivered to four worker processes at once."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from webhook_samples import MakeDelivery, exec_report, wrap

from multimarkets import ConfigurationError
from multimarkets.webhooks import Claim, DedupStoreError, RedisDedupStore, SqliteDedupStore

WORKER = Path(__file__).with_name("dedup_worker.py")

Store = SqliteDedupStore | RedisDedupStore


def open_store(url: str, **options: float) -> Store:
    if url.startswith("redis://"):
        return RedisDedupStore(url, **options)
    return SqliteDedupStore(url[len("sqlite:///") :], **options)


@pytest.fixture
def two(store_url: str) -> Iterator[tuple[Store, Store]]:
    """Two openings of one store, as two processes would have."""
    first, second = open_store(store_url), open_store(store_url)
    yield first, second
    first.close()
    second.close()


def test_claim_complete_and_release_are_seen_by_every_opening(two: tuple[Store, Store]) -> None:
    first, second = two
    assert first.claim("a") is Claim.NEW
    assert second.claim("a") is Claim.IN_PROGRESS
    first.release("a")
    assert second.claim("a") is Claim.NEW
    second.complete("a")
    assert first.claim("a") is Claim.DUPLICATE
    first.release("a")  # releasing a handled key does not forget it
    assert second.claim("a") is Claim.DUPLICATE
    assert first.claim("b") is Claim.NEW


def test_an_unfinished_claim_expires(store_url: str) -> None:
    store = open_store(store_url, claim_ttl=0.001)
    try:
        assert store.claim("a") is Claim.NEW
        time.sleep(0.01)  # ten times the claim's life: the claimer is gone
        assert store.claim("a") is Claim.NEW  # the first claimer died without finishing
    finally:
        store.close()
    with pytest.raises(ConfigurationError):
        open_store(store_url, claim_ttl=0)


@pytest.mark.anyio
async def test_one_delivery_to_four_workers_runs_on_event_once(
    store_url: str, deliver: MakeDelivery, platform_keys: tuple[str, str], tmp_path: Path
) -> None:
    body, headers = deliver(wrap(exec_report()))
    delivery = {"body": body.decode(), "headers": headers, "public_key": platform_keys[1]}
    env = {**os.environ, "MM_DELIVERY": json.dumps(delivery)}
    events = tmp_path / "events.txt"
    statuses: list[int] = []

    async def worker() -> None:
        done = await anyio.run_process([sys.executable, str(WORKER), store_url, str(events)], env=env, check=False)
        assert done.returncode == 0, done.stderr.decode()
        statuses.append(int(done.stdout))

    for workers in (4, 1):  # at once, then a redelivery after the event was handled
        async with anyio.create_task_group() as tg:
            for _ in range(workers):
                tg.start_soon(worker)
    assert len(events.read_text().splitlines()) == 1
    assert set(statuses) <= {200, 409} and statuses[-1] == 200


def test_a_sqlite_store_that_cannot_open_its_file_says_which_and_why(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-directory" / "dedup.db"
    with pytest.raises(DedupStoreError) as caught:
        SqliteDedupStore(missing)
    assert str(caught.value) == f"SqliteDedupStore({str(missing)!r}) cannot open the file: No such file or directory"
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"not a database, a text file passed by mistake\n" * 100)
    with pytest.raises(DedupStoreError) as caught:
        SqliteDedupStore(junk)
    assert str(caught.value) == f"SqliteDedupStore({str(junk)!r}) cannot open the file: file is not a database"


@pytest.mark.parametrize("url", ["http://user:pw-9f3a@127.0.0.1:6379/0", "redis://:pw-9f3a@127.0.0.1:63 79/0"])
def test_a_redis_store_given_no_redis_url_says_so_without_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RedisDedupStore(url)
    message = str(caught.value)
    assert message.startswith(f"RedisDedupStore('{url.partition('@')[0].partition('://')[0]}://***@127.0.0.1:")
    assert "not a Redis URL" in message and "pw-9f3a" not in message


def test_a_redis_store_shows_no_password_given_in_the_query_or_in_place_of_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RedisDedupStore(f"redis://127.0.0.1:{port}/0?password=pw-9f3a")
    with pytest.raises(DedupStoreError) as failed:
        store.claim("k")
    store.close()
    assert repr(store) == f"RedisDedupStore('redis://127.0.0.1:{port}/0?password=***')"
    assert "pw-9f3a" not in str(failed.value)
    with pytest.raises(ConfigurationError) as caught:
        RedisDedupStore("pw-9f3a")  # the password pasted where the URL goes
    assert "pw-9f3a" not in str(caught.value) and "not a Redis URL" in str(caught.value)
    with pytest.raises(ConfigurationError) as caught:
        RedisDedupStore("redis://:pw-9f3a/x@127.0.0.1:6379/0")  # urllib reads 'pw-9f3a' as the port
    assert str(caught.value) == (
        "RedisDedupStore('redis://***@127.0.0.1:6379/0'): not a Redis URL: "
        "Port could not be cast to integer value as '***'"
    )
