"""The signature scheme against the vectors of reference §2.3 (the service's own sign-demo key pair)."""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from multimarkets import ConfigurationError, RsaSha1Signer
from multimarkets.signing import RsaSha1Verifier, canonical_body, canonical_of, canonical_string, encode_body

_KEYS = json.loads((Path(__file__).parents[1] / "reference" / "sign-demo-keys.json").read_text())
DEMO_PRIVATE_KEY = _KEYS["private_key"]
DEMO_PUBLIC_KEY = _KEYS["public_key"]
SIGN_TEST_SIGNATURE = (
    "oXe1qyV/sbayecjhePbj8AKbZqK/fJGWHlFN6duDN2s4861YMQTOZnO51NHFcMd2cCwWvyf4bHZ8dCfK6xYSqGkUWExEkpyfS/Lr9mTUcYMgYxvG"
    "sLy2CfspKVUBhXb6GS0xBiOqDeiDiJbty7IBQWVkh5rqwqPDf/06m9YSjNw="
)
DOC_EXAMPLE_SIGNATURE = (
    "vEsU8tOQZ2g1AuoYSgYuMzJWEgV97sBNsQ1Qwso3j841ln6WnqoQ3i7Lcjl9sA5r5OoHzwTYUTlOUcHRpGfEdKoYRiWNoMeN0t2hRxV9wslh4trG"
    "CkE5Dvxuh5iU0zUzDDxVooAFWNXrTafMugPA+rLpW3f/F7rwpNMesgk3ftA="
)


def test_canonical_string_of_the_documented_example() -> None:
    body = {"companyId": 1, "lang": "zh-CN", "customerNo": "86001308"}
    assert canonical_string(body, 1650361143685) == "{companyId:1,customerNo:86001308,lang:zh-CN}1650361143685"


def test_canonical_string_drops_nulls_keeps_empty_strings_and_unicode() -> None:
    body = {"b": None, "a": "", "c": "张三", "d": True}
    assert canonical_string(body, 1) == "{a:,c:张三,d:true}1"


def test_canonical_string_sorts_nested_objects_at_every_level() -> None:
    body = {"z": [{"y": 1, "x": None, "a": "q"}], "m": {"k": 2, "b": 3}}
    assert canonical_string(body, 7) == "{m:{b:3,k:2},z:[{a:q,y:1}]}7"


def test_sign_test_vector_from_the_java_demo() -> None:
    signer = RsaSha1Signer(DEMO_PRIVATE_KEY)
    assert signer.sign({"symbol": "abc", "quantity": 1}, 1589966902000) == SIGN_TEST_SIGNATURE


def test_documented_body_vector() -> None:
    signer = RsaSha1Signer(DEMO_PRIVATE_KEY)
    body = {"companyId": 1, "lang": "zh-CN", "customerNo": "86001308"}
    assert signer.sign(body, 1650361143685) == DOC_EXAMPLE_SIGNATURE


def test_pem_key_signs_like_the_base64_der_key() -> None:
    der_signer = RsaSha1Signer(DEMO_PRIVATE_KEY)
    private = serialization.load_der_private_key(__import__("base64").b64decode(DEMO_PRIVATE_KEY), password=None)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    assert RsaSha1Signer(pem).sign({"a": 1}, 5) == der_signer.sign({"a": 1}, 5)


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(st.none(), st.text(max_size=8), st.integers())))
def test_verifier_accepts_what_the_signer_signed_and_rejects_other_timestamps(body: dict[str, object]) -> None:
    signature = SIGNER.sign(body, 1700000000000)
    assert VERIFIER.verify(body, 1700000000000, signature)
    assert not VERIFIER.verify(body, 1700000000001, signature)


SIGNER = RsaSha1Signer(DEMO_PRIVATE_KEY)
VERIFIER = RsaSha1Verifier(DEMO_PUBLIC_KEY)


@pytest.mark.parametrize(
    "bad", ["", "not a key at all", "TUlJQ2R3SUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NBbUV3Z2dKZEFnRUFBb0dCQU1FbA=="]
)
def test_unreadable_key_raises_a_clear_error_without_the_key(bad: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        RsaSha1Signer(bad)
    assert "secret key" in str(info.value)
    assert bad not in str(info.value) or not bad
    assert info.value.__cause__ is None


def test_signer_repr_hides_the_key() -> None:
    assert "MIIC" not in repr(SIGNER)


JSON_LEAVES = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none())
JSON_BODIES = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_size=6,
)


@settings(deadline=None)  # a loaded machine is no reason to fail
@given(JSON_BODIES)
def test_the_body_sent_is_the_body_signed(body: dict) -> None:
    encoded = encode_body(body)
    assert json.loads(encoded) == body
    canonical = canonical_of(encoded)
    assert canonical == (canonical_body(body) if "null" not in encoded.decode() else None)
