"""The documented vectors of reference manager-api §3.5, reproduced by the SDK's signer and encryptor."""

import base64
import json
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from multimarkets.manager.encryption import BodyEncryptor, java_url_encode, pieces
from multimarkets.manager.signing import sign, signed_body, signing_string

# The RSA-1024 pair of reference §3.4 (published in the platform's sign-demo).
_KEYS = json.loads((Path(__file__).parents[1] / "reference" / "sign-demo-keys.json").read_text())
PRIVATE_KEY = _KEYS["private_key"]
PUBLIC_KEY = _KEYS["public_key"]
TS = 1722093946335


def private_key() -> rsa.RSAPrivateKey:
    key = serialization.load_der_private_key(base64.b64decode(PRIVATE_KEY), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def decrypt_4_long_text(data: str) -> str:
    """What the platform runs on an encrypted body (the demo's ``decrypt4LongText``), written independently."""
    key = private_key()
    text = "".join(key.decrypt(base64.b64decode(p), padding.PKCS1v15()).decode() for p in data.split(","))
    return unquote_plus(text)


def compact(body: dict[str, object]) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def test_tv1_doc_example() -> None:
    body = {"a": 1, "b": 2, "c": "3", "timestamp": 11111131331}
    assert signing_string(body, 11111131331) == "timestamp=11111131331&a=1&b=2&c=3&timestamp=11111131331"
    assert sign(body, 11111131331) == "43FFFF236AC1FE30AF4ED37A1CFF7C9D"


def test_tv2_demo_main() -> None:
    assert signed_body({"parentCode": "USDT"}, TS)["signature"] == "5EF9837436D52991C79B7C0C4B007DAE"


TV3_J = (
    '{"current":1,"customerNo":"86000020","signature":"8915A6A79C401577D2E7A8EF039BB368","size":20,'
    '"timestamp":1722093946335}'
)
TV3_F = (
    "h/gr2CFxMvfapYzrpitHYhd1IdT3uZmeC7bVTzXhUep0zD+1npX0agGCcg9pnfaEUq4zVed0f+cBrPcpE2Uy3MyovPvFSDUa+SacewMO0dSHm0jR"
    "Nub0b/8sOgWlaqu0vf+r6WflbgudDy7+ec54i7Zu2oM3MMir9fyq5TzjJ/o=,FJTNW/lGGDCmFy4pePlum9yNm5VwfIBHiQ9mo/8S9rXED2IVdrob"
    "GM4IF/KrPx0As2FIcIcRruLbA9xnql7g0fxgrg6CqTbCJ3YxOzbyBR22kWjKlgfUwcDrji+XlX+R3bBVNxjuDW3yhPtlF4c54DhkwR/5FDT9uXP8"
    "qM5rFmk="
)


def test_tv3_customer_list_full_path() -> None:
    body = signed_body({"customerNo": "86000020", "current": 1, "size": 20}, TS)
    assert signing_string(body, TS) == (
        "timestamp=1722093946335&current=1&customerNo=86000020&size=20&timestamp=1722093946335"
    )
    assert body["signature"] == "8915A6A79C401577D2E7A8EF039BB368"
    assert compact(body) == TV3_J
    assert pieces(TV3_J) == [
        "%7B%22current%22%3A1%2C%22customerNo%22%3A%2286000020%22%2C%22signature%22%3A%228915A6A79C401577D2E7",
        "A8EF039BB368%22%2C%22size%22%3A20%2C%22timestamp%22%3A1722093946335%7D",
    ]
    # Ours decrypts to J with the platform's routine; the documented F (Python -> Java) decrypts the same way.
    assert decrypt_4_long_text(BodyEncryptor(PUBLIC_KEY).encrypt(TV3_J)) == TV3_J
    assert decrypt_4_long_text(TV3_F) == TV3_J


TV5_OUTPUT = (
    "jP39KS6TSxMnHUxKcfymE8Y2zvrWZbmtuMp6FaHZ5nR4MJjEVfS1movVNYHKJZlVw//FFRsH+YlYJ0kt/Rl8JnMn/lKG0HGiLIG6dbKUMCD71hv1"
    "sHqwQVJ+VVOc4SS9rcH+AOqc3RTW9RFnJSC1c0R2EtqiuaxMDGloYncrY0s=,Z/JSD+V9oiChKhBVus+eVfOWfr96EaXJtxWJZusygGBqf4plqdLG"
    "rr80o2flbuI+LR+aSYF4EdzXgQQHMbxFnB18XqUgrtreBS+SyCv9IIrkI+L22GcKLIvRK+7vAsWvoPtwriCXje3QNK8MEY32gyM2/qpVbgE3xKlT"
    "9hexRxI="
)


def test_tv5_deterministic_chunking_byte_exact() -> None:
    """The demo's private-key helper is deterministic (PKCS#1 type-1 padding): applying it to our pieces gives
    its output byte for byte, so our signing, JSON, URL-encoding and chunking match the demo's exactly."""
    body = signed_body({"parentCode": "USDT"}, TS)
    j = compact(body)
    assert j == '{"parentCode":"USDT","signature":"5EF9837436D52991C79B7C0C4B007DAE","timestamp":1722093946335}'
    numbers = private_key().private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    blocks = []
    for piece in pieces(j):
        data = piece.encode("ascii")
        padded = b"\x00\x01" + b"\xff" * (128 - 3 - len(data)) + b"\x00" + data
        blocks.append(base64.b64encode(pow(int.from_bytes(padded, "big"), d, n).to_bytes(128, "big")).decode())
    assert ",".join(blocks) == TV5_OUTPUT


@pytest.mark.parametrize(
    "body",
    [
        {"phoneArea": "+86", "phone": "13200000092", "timestamp": TS},
        {"remark": "测" * 60},
        {"remark": "a b~c*d%e&f=g"},
    ],
)
def test_tv6_pitfalls_round_trip(body: dict[str, object]) -> None:
    j = compact(body)
    assert decrypt_4_long_text(BodyEncryptor(PUBLIC_KEY).encrypt(j)) == j


def test_java_url_encoding() -> None:
    assert java_url_encode("a b~c*d-e.f_g+h") == "a+b%7Ec*d-e.f_g%2Bh"


def test_only_non_empty_strings_and_numbers_are_signed() -> None:
    body = {"b": True, "e": "", "n": None, "l": [1], "o": {"x": 1}, "s": " ", "z": 0, "signature": "old"}
    assert signing_string(body, 5) == "timestamp=5&s= &z=0"
