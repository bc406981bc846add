"""A call that times out says how many attempts of how long it made."""

from __future__ import annotations

import asyncio

import pytest
from transport_helpers import Call, RawRequest, RawServer

from multimarkets import APITimeoutError


async def never_answer(_: RawRequest, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


@pytest.mark.parametrize(("max_retries", "said"), [(2, "3 attempts of 0.5 s each"), (0, "1 attempt of 0.5 s")])
def test_a_timeout_names_attempts_and_their_length(serve, call: Call, max_retries: int, said: str) -> None:
    server: RawServer = serve(never_answer)
    with pytest.raises(APITimeoutError) as caught:
        call(server.base_url, timeout=0.5, max_retries=max_retries)
    assert said in str(caught.value)
    assert caught.value.attempts == len(server.wait_for_requests(max_retries + 1)) == max_retries + 1
    assert caught.value.timeout == 0.5 and caught.value.maybe_processed
