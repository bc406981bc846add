"""client.webhooks.subscribe."""

from __future__ import annotations

import pytest

from multimarkets import AsyncBridgeClient, PermissionDeniedError, ResponseFormatError, ValidationError
from multimarkets.resources.webhooks import SUBSCRIBE
from multimarkets.sandbox import ApiKeyConfig, Sandbox

pytestmark = pytest.mark.anyio


async def test_subscribe_defaults_to_the_clients_own_key(client, recorder, sandbox, inbox):
    assert await client.webhooks.subscribe(inbox.url) is True
    assert recorder.last(SUBSCRIBE).body == {"apiKey": sandbox.credentials.api_key, "webhookUrl": inbox.url}
    assert recorder.last(SUBSCRIBE).group is None


async def test_subscribe_another_key_of_the_company():
    keys = [ApiKeyConfig("7"), ApiKeyConfig("7"), ApiKeyConfig("8")]
    async with Sandbox(api_keys=keys) as sb:
        first, second, foreign = sb.all_credentials
        async with AsyncBridgeClient(first, sb.base_url, rate_limit=None) as client:
            assert await client.webhooks.subscribe("https://example.com/hook", api_key=second.api_key) is True
            with pytest.raises(PermissionDeniedError):
                await client.webhooks.subscribe("https://example.com/hook", api_key=foreign.api_key)


@pytest.mark.parametrize(
    ("url", "key", "field"),
    [
        ("example.com/hook", None, "webhook_url"),
        ("ftp://example.com/hook", None, "webhook_url"),
        ("", None, "webhook_url"),
        ("https://example.com/hook", " ", "api_key"),
    ],
)
async def test_subscribe_validates_before_sending(client, requests_sent, url, key, field):
    before = requests_sent()
    with pytest.raises(ValidationError) as caught:
        await client.webhooks.subscribe(url, api_key=key)
    assert caught.value.field == field
    assert requests_sent() == before


@pytest.mark.parametrize(("data", "expected"), [("true", True), (True, True), ("false", False), (False, False)])
async def test_subscribe_answer_is_a_boolean(data, expected):
    async def answer(ctx, body):
        return data

    async with (
        Sandbox(handlers={SUBSCRIBE: answer}) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client,
    ):
        assert await client.webhooks.subscribe("https://example.com/hook") is expected


async def test_subscribe_answer_that_is_not_a_boolean():
    async def answer(ctx, body):
        return "yes"

    async with (
        Sandbox(handlers={SUBSCRIBE: answer}) as sb,
        AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None) as client,
    ):
        with pytest.raises(ResponseFormatError) as caught:
            await client.webhooks.subscribe("https://example.com/hook")
    error = caught.value
    assert (error.code, error.http_status, error.biz_type) == ("BAD_DATA", 200, SUBSCRIBE)
    assert "unexpected response data" in str(error) and "'yes'" in str(error) and error.trace
