"""The token cache: one auth call however many callers wait, and a refused token replaced once."""

import anyio
import pytest

from multimarkets.manager.tokens import Token, TokenCache

pytestmark = pytest.mark.anyio


class Auth:
    """An auth call that takes a while, so that callers pile up while it runs."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = anyio.Event()

    async def __call__(self) -> Token:
        self.calls += 1
        await self.release.wait()
        return Token(f"token-{self.calls}", "439")


async def test_many_waiting_callers_share_one_auth_call() -> None:
    auth = Auth()
    cache = TokenCache(auth)
    seen: list[Token] = []

    async def caller() -> None:
        seen.append(await cache.get())

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(caller)
        await anyio.wait_all_tasks_blocked()
        auth.release.set()
    assert auth.calls == 1 == cache.fetches
    assert {token.value for token in seen} == {"token-1"}


async def test_expired_token_is_replaced_once_for_all_refused_callers() -> None:
    auth = Auth()
    auth.release.set()
    cache = TokenCache(auth)
    first = await cache.get()
    for _ in range(20):  # twenty calls refused with the same token
        cache.discard(first)
    second = await cache.get()
    cache.discard(first)  # a late refusal of the old token keeps the new one
    assert await cache.get() is second
    assert auth.calls == 2
    assert second.value == "token-2"


async def test_token_value_is_not_in_repr() -> None:
    assert "secret" not in repr(Token("secret", "1", "key"))
