import pytest

from aftersales.core.phones import is_valid_phone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("021-62345678", "02162345678"),
        ("", ""),
    ],
)
def test_normalize_phone_keeps_national_digits(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_mask_phone_keeps_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("02162345678") == "021****5678"


def test_mask_phone_never_shows_a_short_number_whole() -> None:
    assert mask_phone("12345") != "12345"
    assert mask_phone("") == ""


@pytest.mark.parametrize("digits", ["13812345678", "19912345678", "02162345678", "075512345678"])
def test_valid_phones(digits: str) -> None:
    assert is_valid_phone(digits)


@pytest.mark.parametrize("digits", ["12812345678", "1381234567", "abc", "", "99999999999"])
def test_invalid_phones(digits: str) -> None:
    assert not is_valid_phone(digits)
