"""A redirect answering the Data Push handshake is never followed: the handshake carries the ``token``, so the
stream raises RedirectError and nothing reaches where ``Location`` points (another origin or the same one)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import attrs
import pytest
from aiohttp import web
from manager_contract import APP_ID, APP_SECRET, AUTH, ContractServer, start

from multimarkets import AsyncManagerClient, ManagerClient, ManagerCredentials, RedirectError

CREDENTIALS = ManagerCredentials(APP_ID, APP_SECRET)
OPTIONS = {"trust_env": False, "max_retries": 0}


@attrs.define
class Servers:
    """The service (auth, and a handshake answered with ``status`` to ``location``) and a second origin; both
    record every request they get beyond the auth call."""

    base_url: str = ""
    elsewhere: str = ""
    status: int = 302
    location: str = ""
    reached: list[str] = attrs.field(factory=list)

    async def handshake(self, request: web.Request) -> web.Response:
        return web.Response(status=self.status, headers={"Location": self.location})

    async def record(self, request: web.Request) -> web.Response:
        self.reached.append(f"{request.method} {request.url} token={'token' in request.headers}")
        return web.Response(status=404)


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Both servers in an event loop of their own thread, for either client."""
    servers, contract = Servers(), ContractServer()
    service, other = web.Application(), web.Application()
    service.router.add_post(f"/openapi-b/auth/{AUTH}", contract.auth)
    service.router.add_get("/openapi-b/ws", servers.handshake)
    service.router.add_route("*", "/{tail:.*}", servers.record)
    other.router.add_route("*", "/{tail:.*}", servers.record)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    (runner, origin), (other_runner, servers.elsewhere) = (
        asyncio.run_coroutine_threadsafe(start(app), loop).result(10) for app in (service, other)
    )
    servers.base_url = f"{origin}/openapi-b"
    yield servers
    for each in (runner, other_runner):
        asyncio.run_coroutine_threadsafe(each.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def follow_async(servers: Servers) -> None:
    async def run() -> None:
        async with AsyncManagerClient(CREDENTIALS, servers.base_url, **OPTIONS) as client:
            async for _ in client.data_push.events("g1", reconnect_delay=0):
                pytest.fail("no event can arrive through a redirect")

    asyncio.run(run())


def follow_sync(servers: Servers) -> None:
    with ManagerClient(CREDENTIALS, servers.base_url, **OPTIONS) as client:
        for _ in client.data_push.events("g1", reconnect_delay=0):
            pytest.fail("no event can arrive through a redirect")


def run_sync(servers: Servers) -> None:
    with ManagerClient(CREDENTIALS, servers.base_url, **OPTIONS) as client:
        client.data_push.run(lambda event: pytest.fail("no event can arrive through a redirect"), "g1")


FOLLOWERS = {"async events": follow_async, "sync events": follow_sync, "sync run": run_sync}


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("follow", FOLLOWERS.values(), ids=FOLLOWERS.keys())
def test_a_handshake_redirected_to_another_origin_raises_and_nothing_reaches_it(servers, follow, status) -> None:
    servers.status, servers.location = status, f"{servers.elsewhere}/openapi-b/ws?steal=1"

    with pytest.raises(RedirectError) as caught:
        follow(servers)

    assert servers.reached == [], "the handshake and its token must not reach the other origin"
    error = caught.value
    assert (error.http_status, error.target_origin) == (status, servers.elsewhere)
    assert servers.elsewhere in str(error) and "steal" not in str(error)


@pytest.mark.parametrize("follow", FOLLOWERS.values(), ids=FOLLOWERS.keys())
def test_a_handshake_redirected_within_the_service_raises_too(servers, follow) -> None:
    servers.status, servers.location = 307, "/openapi-b/ws-moved"

    with pytest.raises(RedirectError) as caught:
        follow(servers)

    assert servers.reached == [], "a redirect is never followed, not even to the same origin"
    assert caught.value.target_origin == servers.base_url.removesuffix("/openapi-b")
