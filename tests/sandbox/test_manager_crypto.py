"""The sandbox's Manager signature rule and decryption against the reference's vectors (§3.5), and the
test-side client's implementation against the same vectors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from manager_wire import encrypt, java_url_encode, sign

from multimarkets.sandbox.manager.crypto import CompanyKey, DecryptionError, expected_signature, signature_base

# §3.4: the RSA-1024 pair of CTradeExchange/sign-demo, used by every vector.
_KEYS = json.loads((Path(__file__).parents[1] / "reference" / "sign-demo-keys.json").read_text())
PRIVATE_KEY = _KEYS["private_key"]
PUBLIC_KEY = _KEYS["public_key"]
TV3_BODY = {"customerNo": "86000020", "current": 1, "size": 20, "timestamp": 1722093946335}
TV3_J = (
    '{"current":1,"customerNo":"86000020","signature":"8915A6A79C401577D2E7A8EF039BB368","size":20,'
    '"timestamp":1722093946335}'
)
TV3_E = (
    "%7B%22current%22%3A1%2C%22customerNo%22%3A%2286000020%22%2C%22signature%22%3A%228915A6A79C401577D2E7A8EF039B"
    "B368%22%2C%22size%22%3A20%2C%22timestamp%22%3A1722093946335%7D"
)
TV3_F = (
    "h/gr2CFxMvfapYzrpitHYhd1IdT3uZmeC7bVTzXhUep0zD+1npX0agGCcg9pnfaEUq4zVed0f+cBrPcpE2Uy3MyovPvFSDUa+SacewMO0dSHm0"
    "jRNub0b/8sOgWlaqu0vf+r6WflbgudDy7+ec54i7Zu2oM3MMir9fyq5TzjJ/o=,FJTNW/lGGDCmFy4pePlum9yNm5VwfIBHiQ9mo/8S9rXED2IV"
    "drobGM4IF/KrPx0As2FIcIcRruLbA9xnql7g0fxgrg6CqTbCJ3YxOzbyBR22kWjKlgfUwcDrji+XlX+R3bBVNxjuDW3yhPtlF4c54DhkwR/5FD"
    "T9uXP8qM5rFmk="
)

VECTORS = [
    (
        {"a": 1, "b": 2, "c": "3", "timestamp": 11111131331},
        "timestamp=11111131331&a=1&b=2&c=3&timestamp=11111131331",
        "43FFFF236AC1FE30AF4ED37A1CFF7C9D",
    ),
    (
        {"parentCode": "USDT", "timestamp": 1722093946335},
        "timestamp=1722093946335&parentCode=USDT&timestamp=1722093946335",
        "5EF9837436D52991C79B7C0C4B007DAE",
    ),
    (
        TV3_BODY,
        "timestamp=1722093946335&current=1&customerNo=86000020&size=20&timestamp=1722093946335",
        "8915A6A79C401577D2E7A8EF039BB368",
    ),
]


@pytest.mark.parametrize(("body", "base", "signature"), VECTORS)
def test_documented_md5_vectors(body: dict[str, object], base: str, signature: str) -> None:
    assert signature_base(body) == base
    assert expected_signature(body) == signature
    assert sign(body) == signature  # the test-side client agrees


def test_only_non_empty_strings_and_numbers_are_signed() -> None:
    body = {
        "timestamp": 5,
        "flag": True,
        "empty": "",
        "none": None,
        "list": [1],
        "obj": {"a": 1},
        "space": " ",
        "amount": Decimal("5.50"),
        "signature": "X",
    }
    assert signature_base(body) == "timestamp=5&amount=5.50&space= &timestamp=5"
    assert sign(body) == expected_signature(body)


def test_a_body_without_timestamp_is_signed_as_java_writes_null() -> None:
    assert signature_base({"a": "1"}) == "timestamp=null&a=1"


def test_documented_ciphertext_decrypts_to_the_documented_json() -> None:
    key = CompanyKey(PRIVATE_KEY)
    assert key.public_key == PUBLIC_KEY
    assert key.decrypt(TV3_F) == TV3_J
    assert json.loads(TV3_J)["signature"] == expected_signature(TV3_BODY)


def test_test_side_encoding_matches_the_documented_pieces() -> None:
    assert java_url_encode(TV3_J) == TV3_E
    assert CompanyKey(PRIVATE_KEY).decrypt(encrypt(TV3_J, PUBLIC_KEY)) == TV3_J


@pytest.mark.parametrize(
    "text",
    ['{"phoneArea":"+86","phone":"13200000092"}', json.dumps({"remark": "测" * 60}, ensure_ascii=False), "~*%+ &="],
)
def test_plus_percent_and_non_ascii_round_trip(text: str) -> None:
    assert CompanyKey(PRIVATE_KEY).decrypt(encrypt(text, PUBLIC_KEY)) == text


@pytest.mark.parametrize("data", ["not base64!", "QUJD", ""])
def test_garbage_does_not_decrypt(data: str) -> None:
    with pytest.raises(DecryptionError):
        CompanyKey(PRIVATE_KEY).decrypt(data)


def test_the_company_key_never_shows_its_private_half() -> None:
    key = CompanyKey(PRIVATE_KEY)
    assert PRIVATE_KEY not in repr(key)
