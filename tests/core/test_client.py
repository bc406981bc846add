"""The async client end to end against the sandbox over loopback: signing, errors, retries, limits, clock."""

from __future__ import annotations

import base64
import time
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from multimarkets import (
    APIConnectionError,
    AsyncBridgeClient,
    BridgeClient,
    ClientClosedError,
    ConfigurationError,
    Credentials,
    CustomerExistsError,
    IPBannedError,
    RateLimit,
    ServerError,
    SignatureError,
    UnknownBizTypeError,
    ValidationError,
)
from multimarkets.manager import AsyncManagerClient, ManagerClient, ManagerCredentials
from multimarkets.sandbox import Sandbox
from multimarkets.signing import RsaSha1Signer
from multimarkets.trace import new_trace

pytestmark = pytest.mark.anyio

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"

FAST = RateLimit(1000, 1.0)


@pytest.fixture
def client_options() -> dict[str, Any]:
    """These tests exercise the client's own limiter too."""
    return {"rate_limit": FAST}


def other_secret_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return base64.b64encode(der).decode()


async def test_register_returns_the_customer_number_the_service_stored(
    client: AsyncBridgeClient, sandbox: Sandbox
) -> None:
    customer_no = await client.customers.register(
        phone="13200000092", phone_area="+86", password="a123456", country="CN", register_source=1
    )
    [stored] = sandbox.customers()
    assert stored["customer_no"] == customer_no
    assert stored["phone"] == "13200000092"


async def test_duplicate_phone_and_email_raise_customer_exists(client: AsyncBridgeClient) -> None:
    await client.customers.register(
        phone="13200000001", email="dup@example.com", password="x", country="CN", register_source=1
    )
    with pytest.raises(CustomerExistsError) as by_phone:
        await client.customers.register(phone="13200000001", password="x", country="CN", register_source=1)
    assert by_phone.value.code == "USCUSTOMER_API_0000106"
    assert by_phone.value.trace
    assert not by_phone.value.after_ambiguous
    with pytest.raises(CustomerExistsError) as by_email:
        await client.customers.register(email="dup@example.com", password="x", country="CN", register_source=1)
    assert by_email.value.code == "USCUSTOMER_API_0000107"


async def test_wrong_secret_key_raises_signature_error_without_retrying(sandbox: Sandbox) -> None:
    good = sandbox.credentials
    wrong = Credentials(good.api_key, other_secret_key(), good.company_id)
    async with AsyncBridgeClient(wrong, sandbox.base_url, rate_limit=FAST) as client:
        with pytest.raises(SignatureError) as info:
            await client.customers.register(email="x@example.com", password="x", country="CN", register_source=1)
    assert info.value.code == "00012001"
    assert sandbox.stats()["requests"] == 1
    assert wrong.secret_key not in str(info.value)


async def test_bad_input_is_rejected_before_anything_is_sent(client: AsyncBridgeClient, sandbox: Sandbox) -> None:
    with pytest.raises(ValidationError) as info:
        await client.customers.register(password="x", country="CN", register_source=1)
    assert info.value.field == "phone"
    with pytest.raises(ValidationError):
        await client.customers.register(email="a@example.com", password="x", country="China", register_source=1)
    assert sandbox.stats()["requests"] == 0


async def test_raw_call_reaches_any_biz_type(client: AsyncBridgeClient) -> None:
    page = await client.call(PAGE, {"current": "1", "size": "5"})
    assert page["total"] == 0
    with pytest.raises(UnknownBizTypeError) as info:
        await client.call("no.such.Service.method")
    assert info.value.code == "GGATEWAY_CODE_002"


async def test_server_errors_are_retried_then_raised_with_every_attempt_resigned(sandbox: Sandbox) -> None:
    sandbox.set_faults("error5xx=1")
    async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=FAST, max_retries=2) as client:
        with pytest.raises(ServerError) as info:
            await client.call(PAGE, {}, idempotent=True)
    assert info.value.http_status is not None and info.value.http_status >= 500
    stats = sandbox.stats()
    assert stats["fault_error5xx"] == 3
    assert stats["rejected_signature"] == 0 and stats["rejected_timestamp"] == 0


async def test_a_call_that_is_not_idempotent_is_not_repeated_after_an_ambiguous_failure(sandbox: Sandbox) -> None:
    sandbox.set_faults("reset_after_commit=1")
    async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=FAST, max_retries=2) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.call("customer.admin.WhiteCustomerAdminApiService.addCustomer", {"email": "z@example.com"})
    assert info.value.maybe_processed
    assert sandbox.stats()["fault_reset_after_commit"] == 1


async def test_registration_lost_after_commit_is_found_by_the_retry(sandbox: Sandbox) -> None:
    sandbox.set_faults("reset_after_commit=1")
    async with AsyncBridgeClient(sandbox.credentials, sandbox.base_url, rate_limit=FAST, max_retries=0) as client:
        with pytest.raises(APIConnectionError):
            await client.customers.register(email="lost@example.com", password="x", country="CN", register_source=1)
        sandbox.set_faults(None)
        with pytest.raises(CustomerExistsError):
            await client.customers.register(email="lost@example.com", password="x", country="CN", register_source=1)
    assert len(sandbox.customers()) == 1


async def test_connection_refused_is_a_connection_error_that_was_not_processed() -> None:
    async with Sandbox() as sb:
        credentials, base_url = sb.credentials, sb.base_url
    async with AsyncBridgeClient(credentials, base_url, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.call(PAGE, {})
    assert not info.value.maybe_processed


async def test_a_429_from_another_process_pauses_and_recovers_without_a_ban() -> None:
    async with Sandbox(rate_limit="3/0.5s", ban="60s") as sb:
        # rate_limit=None plays a second process that does not share our limiter.
        async with AsyncBridgeClient(sb.credentials, sb.base_url, rate_limit=None, max_retries=3) as client:
            for _ in range(6):
                await client.call(PAGE, {}, idempotent=True)
        stats = sb.stats()
    assert stats["rate_limited"] >= 1
    assert stats["banned"] == 0


async def hammer_until_banned(sb: Sandbox) -> None:
    """Another process that ignores 429s: raw signed requests, no SDK limiter, until the service bans the key."""
    signer = RsaSha1Signer(sb.credentials.secret_key)
    async with aiohttp.ClientSession() as http:
        for _ in range(20):
            timestamp = int(time.time() * 1000)
            headers = {
                "apiKey": sb.credentials.api_key,
                "companyId": sb.credentials.company_id,
                "trace": new_trace(),
                "timestamp": str(timestamp),
                "version": "0.0.1",
                "signature": signer.sign({}, timestamp),
            }
            async with http.post(f"{sb.base_url}/global/{PAGE}", json={}, headers=headers) as response:
                if response.status == 418:
                    return
    raise AssertionError("the sandbox never banned the key")


async def test_a_418_stops_every_call_for_the_key_until_the_ban_ends() -> None:
    async with Sandbox(rate_limit="2/10s", ban="60s") as sb:
        await hammer_until_banned(sb)
        async with AsyncBridgeClient(sb.credentials, sb.base_url) as client:
            with pytest.raises(IPBannedError):
                await client.call(PAGE, {})
            sent = sb.stats()["requests"]
            with pytest.raises(IPBannedError) as info:
                await client.customers.register(email="a@example.com", password="x", country="CN", register_source=1)
            assert sb.stats()["requests"] == sent, "the breaker must refuse without sending"
            assert info.value.banned_until is not None


async def test_clock_skew_is_corrected_from_the_date_header(sandbox: Sandbox, client: AsyncBridgeClient) -> None:
    sandbox.set_clock_skew(-30_000)  # the server is 30 s behind us: our timestamps look like the future
    customer_no = await client.customers.register(email="t@example.com", password="x", country="CN", register_source=1)
    assert customer_no
    assert sandbox.stats()["rejected_timestamp"] == 1


async def test_a_base_url_scheme_and_host_in_upper_case_are_accepted_and_lowered(sandbox: Sandbox) -> None:
    """Schemes and hosts are case-insensitive (RFC 3986 §3.1, §3.2.2): ``HTTP://LOCALHOST`` is the same base URL,
    and the same key of the shared rate-limit window; the path is case-sensitive and kept."""
    port = sandbox.base_url.rsplit(":", 1)[1].split("/")[0]
    async with AsyncBridgeClient(sandbox.credentials, f"HTTP://LocalHost:{port}/webhook") as client:
        assert f"base_url='http://localhost:{port}/webhook'" in repr(client)
        await client.call(PAGE, {"page": 1, "size": 10})
    async with AsyncBridgeClient(sandbox.credentials, "Https://API.Example/WebHook") as secure:
        assert "base_url='https://api.example/WebHook'" in repr(secure)
    assert sandbox.stats()["requests"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1:8080/webhook",  # unclosed IPv6 bracket
        "http://127.0.0.1:99999/webhook",  # port out of range
        "http://127.0.0.1:http/webhook",
        "https://:443/x",
        "http://",
        "http:///webhook",
        "http://127.0.0.1:1/webhook?x=1",  # every call's path would be glued after the query
        "http://127.0.0.1:1/webhook#frag",
    ],
)
def test_a_malformed_base_url_is_refused_at_construction(url: str) -> None:
    """Not a bare ``ValueError`` from a URL parser, nor a "connection broke" or a 404 at the first call."""
    bridge = Credentials("k" * 32, other_secret_key(), "1")
    manager = ManagerCredentials("app-id", "app-secret")
    for make in (AsyncBridgeClient, BridgeClient):
        with pytest.raises(ConfigurationError, match="base_url"):
            make(bridge, url, trust_env=False)
    for make_manager in (AsyncManagerClient, ManagerClient):
        with pytest.raises(ConfigurationError, match="base_url"):
            make_manager(manager, url, trust_env=False)


async def test_closed_client_refuses_calls(sandbox: Sandbox) -> None:
    client = AsyncBridgeClient(sandbox.credentials, sandbox.base_url)
    await client.aclose()
    with pytest.raises(ClientClosedError, match="closed"):
        await client.call(PAGE, {})
    assert sandbox.stats()["requests"] == 0


def test_reprs_never_show_the_secret_key() -> None:
    credentials = Credentials("key", other_secret_key(), "7")
    client = AsyncBridgeClient(credentials, "https://example.invalid/webhook")
    assert credentials.secret_key not in repr(credentials)
    assert credentials.secret_key not in repr(client)
