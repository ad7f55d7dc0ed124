"""VIN rules of 49 CFR 565."""

from __future__ import annotations

import pytest

from letters import vin as vins

VALID = "1M8GDM9AXKP042788"  # the published check-digit example
ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def test_published_example_is_valid() -> None:
    assert vins.parse(VALID).value == VALID
    assert vins.check_digit(VALID) == "X"


def test_normalises_case_and_whitespace() -> None:
    assert vins.parse(f"  {VALID.lower()}\t").value == VALID


@pytest.mark.parametrize("position", [i for i in range(17) if i != 8])
def test_every_single_character_corruption_is_caught(position: int) -> None:
    """Any one-character change that alters the check digit is rejected."""
    caught = 0
    for ch in ALPHABET:
        if ch == VALID[position]:
            continue
        corrupted = VALID[:position] + ch + VALID[position + 1 :]
        if vins.check_digit(corrupted) != VALID[8]:
            with pytest.raises(vins.VinError, match=r"check digit|model-year"):
                vins.parse(corrupted)
            caught += 1
    # Weight 0 at position 9 aside, each position's changes mostly alter the sum mod 11.
    assert caught >= 20


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1M8GDM9AXKP04278", "16 characters"),
        ("1M8GDM9AXKP0427888", "18 characters"),
        ("1M8GDM9AXKO042788", "I, O and Q"),
        ("1M8GDM9AXKP04278Q", "I, O and Q"),
        ("1M8GDM9A0KP042788", "check digit"),
        ("1M8GDM9AXUP042788", "model-year"),
    ],
)
def test_invalid(raw: str, message: str) -> None:
    with pytest.raises(vins.VinError, match=message):
        vins.parse(raw)


@pytest.mark.parametrize(
    ("year", "code"), [(2022, "N"), (2023, "P"), (2024, "R"), (2019, "K"), (2030, "Y"), (2031, "1")]
)
def test_model_year_codes(year: int, code: str) -> None:
    assert vins.year_code(year) == code
    made = vins.with_check_digit(f"JTJGKCEZ0{code}J100001")
    assert year in vins.parse(made).model_year_candidates()
