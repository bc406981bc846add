"""Verification of a delivery: required headers, timestamp tolerance, API key / company, signature."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
from webhook_samples import MakeDelivery, exec_report, wrap

from multimarkets import WebhookSignatureError, WebhookTimestampError
from multimarkets.signing import RsaSha1Verifier
from multimarkets.webhooks import REQUIRED_HEADERS, Verifier, verify_notification

PAYLOAD = wrap(exec_report())


def check(body: bytes, headers: Mapping[str, str], verifier: Verifier, **options: Any) -> None:
    verify_notification(json.loads(body), headers, verifier=verifier, raw_body=body, **options)


def test_good_delivery_passes(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    body, headers = deliver(PAYLOAD)
    check(body, headers, verifier)
    check(body, {k.lower(): v for k, v in headers.items()}, verifier)  # frameworks lowercase header names
    check(body, headers, verifier, api_key="ak-1", company_id="220")


def test_signature_by_another_key_is_rejected(
    deliver: MakeDelivery, verifier: RsaSha1Verifier, other_keys: tuple[str, str]
) -> None:
    body, headers = deliver(PAYLOAD, signer_key=other_keys[0])
    with pytest.raises(WebhookSignatureError, match="does not verify") as caught:
        check(body, headers, verifier)
    assert caught.value.trace == "t-test-trace-1"
    assert headers["signature"] not in str(caught.value)


def test_tampered_body_is_rejected(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    _, headers = deliver(PAYLOAD)
    tampered = json.dumps(wrap(exec_report(executeNum="100"))).encode()
    with pytest.raises(WebhookSignatureError):
        check(tampered, headers, verifier)


@pytest.mark.parametrize("garbage", ["", "not base64!", "AAAA"])
def test_garbage_signature_is_rejected(deliver: MakeDelivery, verifier: RsaSha1Verifier, garbage: str) -> None:
    body, headers = deliver(PAYLOAD)
    headers["signature"] = garbage
    with pytest.raises(WebhookSignatureError):
        check(body, headers, verifier)


def test_timestamp_replayed_with_a_resigned_body_still_needs_the_key(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    body, headers = deliver(PAYLOAD)
    headers["timestamp"] = str(int(headers["timestamp"]) + 1)
    with pytest.raises(WebhookSignatureError):
        check(body, headers, verifier)


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_stale_or_future_timestamp_is_rejected(deliver: MakeDelivery, verifier: RsaSha1Verifier, offset: int) -> None:
    body, headers = deliver(PAYLOAD, timestamp=int((time.time() + offset) * 1000))
    with pytest.raises(WebhookTimestampError, match="tolerance 300 s") as caught:
        check(body, headers, verifier)
    assert caught.value.http_status == 401 and caught.value.code == "00012002"


def test_tolerance_is_configurable(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    body, headers = deliver(PAYLOAD, timestamp=int((time.time() - 3600) * 1000))
    check(body, headers, verifier, tolerance=7200)
    now = int(headers["timestamp"]) / 1000
    check(body, headers, verifier, tolerance=1, now=now + 0.5)
    with pytest.raises(WebhookTimestampError):
        check(body, headers, verifier, tolerance=1, now=now + 2)


def test_unreadable_timestamp_is_rejected(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    body, headers = deliver(PAYLOAD)
    headers["timestamp"] = "yesterday"
    with pytest.raises(WebhookTimestampError, match="not an integer"):
        check(body, headers, verifier)


@pytest.mark.parametrize("name", REQUIRED_HEADERS)
def test_missing_header_is_rejected(deliver: MakeDelivery, verifier: RsaSha1Verifier, name: str) -> None:
    body, headers = deliver(PAYLOAD, drop=(name,))
    expected = WebhookTimestampError if name == "timestamp" else WebhookSignatureError
    with pytest.raises(expected):
        check(body, headers, verifier)


def test_missing_trace_is_accepted(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    body, headers = deliver(PAYLOAD, drop=("trace",))
    check(body, headers, verifier)


def test_delivery_for_another_key_or_company_is_rejected(deliver: MakeDelivery, verifier: RsaSha1Verifier) -> None:
    body, headers = deliver(PAYLOAD, api_key="ak-2", company_id="221")
    with pytest.raises(WebhookSignatureError, match="another API key"):
        check(body, headers, verifier, api_key="ak-1")
    with pytest.raises(WebhookSignatureError, match="another company"):
        check(body, headers, verifier, company_id="220")


def test_a_custom_verifier_is_used_and_a_false_answer_is_an_error(deliver: MakeDelivery) -> None:
    seen: list[tuple[Mapping[str, Any] | None, int, str, bytes]] = []

    class Recording:
        def verify(self, body: Mapping[str, Any] | None, timestamp: int, signature: str, *, raw_body: bytes) -> bool:
            seen.append((body, timestamp, signature, raw_body))
            return False

    body, headers = deliver(PAYLOAD)
    with pytest.raises(WebhookSignatureError):
        check(body, headers, Recording())
    assert seen == [(PAYLOAD, int(headers["timestamp"]), headers["signature"], body)]


class ChokingVerifier:
    """A user's verifier that raises on input it cannot decode instead of returning False."""

    def verify(self, body: Mapping[str, Any], timestamp: int, signature: str, *, raw_body: bytes) -> bool:
        raise ValueError("not base64")


def test_a_verifier_that_raises_rejects_the_delivery_as_unsigned(deliver: MakeDelivery) -> None:
    body, headers = deliver(exec_report())
    with pytest.raises(WebhookSignatureError):
        check(body, headers, ChokingVerifier())
