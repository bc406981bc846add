"""Local validation of a registration: clear errors naming the field, and the exact wire body."""

import pytest

from multimarkets import CustomerRegistration, RegisterSource, ValidationError
from multimarkets._convert import to_wire


def registration(**overrides: object) -> CustomerRegistration:
    fields: dict[str, object] = {"phone": "13200000092", "password": "a123456", "country": "CN", "register_source": 1}
    fields.update(overrides)
    return CustomerRegistration(**fields)  # type: ignore[arg-type]


def test_wire_body_matches_the_documented_example() -> None:
    body = to_wire(registration(phone_area="+86").to_request())
    assert body == {
        "phone": "13200000092",
        "pwd": "dc483e80a7a0bd9ef71d8cf973673924",
        "country": "CN",
        "registerSource": 1,
        "customerGroupId": 1,
        "phoneArea": "+86",
    }
    assert type(body["registerSource"]) is int


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": None}, "phone"),
        ({"phone": "12ab"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"password": None}, "password"),
        ({"password_md5": "dc483e80a7a0bd9ef71d8cf973673924"}, "password"),
        ({"password": None, "password_md5": "DC483E80A7A0BD9EF71D8CF973673924"}, "password_md5"),
        ({"country": "CHN"}, "country"),
        ({"register_source": 12}, "register_source"),
        ({"register_source": "tablet"}, "register_source"),
        ({"customer_group_id": 0}, "customer_group_id"),
        ({"phone_area": "86-1"}, "phone_area"),
    ],
)
def test_bad_input_names_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        registration(**overrides).to_request()
    assert info.value.field == field


def test_register_source_accepts_names_and_numbers() -> None:
    assert registration(register_source="pc_web").to_request().register_source is RegisterSource.PC_WEB
    assert registration(register_source="5").to_request().register_source is RegisterSource.IOS


def test_from_mapping_treats_empty_cells_as_absent_and_rejects_unknown_columns() -> None:
    row = {"email": "a@b.co", "phone": "", "password": "x", "country": "cn", "register_source": "H5"}
    request = CustomerRegistration.from_mapping(row).to_request()
    assert request.phone is None
    assert request.country == "CN"
    with pytest.raises(ValidationError) as info:
        CustomerRegistration.from_mapping({**row, "nickname": "x"})
    assert info.value.field == "nickname"


def test_password_never_appears_in_reprs() -> None:
    reg = registration(password="hunter2secret")
    assert "hunter2secret" not in repr(reg)
    assert "dc483e80" not in repr(registration().to_request())
