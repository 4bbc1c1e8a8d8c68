from __future__ import annotations

import random

import phonenumbers
import pytest

from dialer.contacts.phones import PhoneError, normalize
from dialer.contacts.values import ValueProblem, clean_value


@pytest.mark.parametrize(
    "raw",
    [
        "8 (916) 123-45-67",
        "+7 916 1234567",
        "79161234567",
        "9161234567",
        "+7(916)123-45-67",
        "8-916-123-45-67 доб. 15",
    ],
)
def test_the_same_number_in_every_common_shape(raw: str) -> None:
    assert normalize(raw) == "+79161234567"


@pytest.mark.parametrize(
    "raw, why",
    [
        ("8 916 ABC 45 67", "letters"),
        ("123", "not a valid"),
        ("", "empty"),
        ("+7 000 000 00 00", "not a valid"),
    ],
)
def test_bad_numbers_say_why(raw: str, why: str) -> None:
    with pytest.raises(PhoneError, match=why):
        normalize(raw)


def test_other_regions_and_the_default_region() -> None:
    assert normalize("+44 20 7946 0958") == "+442079460958"
    assert normalize("020 7946 0958", "GB") == "+442079460958"
    assert normalize(79161234567.0) == "+79161234567"  # a spreadsheet number cell


def _variants(national: str) -> list[str]:
    return [
        national,
        "8" + national,
        "7" + national,
        "+7" + national,
        f"8 ({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}",
    ]


def test_fast_path_agrees_with_phonenumbers_on_random_numbers() -> None:
    rng = random.Random(7)
    for _ in range(4000):
        national = str(rng.randint(10**8, 10**10 - 1))
        for raw in _variants(national):
            try:
                parsed = phonenumbers.parse(raw, "RU")
                expected: str | None = (
                    phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                    if phonenumbers.is_valid_number(parsed)
                    else None
                )
            except phonenumbers.NumberParseException:
                expected = None
            try:
                got: str | None = normalize(raw)
            except PhoneError:
                got = None
            assert got == expected, raw


def test_typed_values() -> None:
    assert clean_value("email", " A@B.RU ") == "a@b.ru"
    assert clean_value("number", "1 234,50") == "1234.50"
    assert clean_value("number", "10") == "10"
    assert clean_value("date", "31.12.2024") == "2024-12-31"
    assert clean_value("boolean", "Да") == "true"
    assert clean_value("text", "  ") is None
    for kind, raw in [("email", "nope"), ("number", "12a"), ("date", "2024-13-01"), ("boolean", "maybe")]:
        with pytest.raises(ValueProblem):
            clean_value(kind, raw)
