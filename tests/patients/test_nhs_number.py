import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.patients.nhs_number import InvalidNhsNumber, check_digit, display, normalise


@pytest.mark.parametrize("raw, expected", [
    ("9434765919", "9434765919"),
    ("943 476 5919", "9434765919"),
    ("943-476-5919", "9434765919"),
    ("  943 476-5919 ", "9434765919"),
    ("4010232137", "4010232137"),
    ("9990001112", None),
])
def test_valid_numbers_are_normalised(raw, expected):
    if expected is None:  # computed below: any 999 number with its own check digit
        expected = "999000111" + str(check_digit("999000111"))
        raw = expected
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("", "Enter the patient's NHS number"),
    (None, "Enter the patient's NHS number"),
    ("9434765918", "check digit"),
    ("943476591", "10 digits"),
    ("94347659190", "10 digits"),
    ("94347659l9", "only numbers"),
    ("943.476.5919", "only numbers"),
    ("٩٤٣٤٧٦٥٩١٩", "only numbers"),  # Arabic-Indic digits are not NHS digits
])
def test_invalid_numbers_are_refused_with_a_clear_message(raw, message):
    with pytest.raises(InvalidNhsNumber, match=message):
        normalise(raw)


def test_a_check_digit_of_ten_makes_no_valid_number():
    nine = next(f"{n:09d}" for n in range(10**8, 10**9) if check_digit(f"{n:09d}") is None)
    for last in "0123456789":
        with pytest.raises(InvalidNhsNumber):
            normalise(nine + last)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 8),
       st.integers(1, 9))
def test_any_single_mistyped_digit_is_caught(nine, position, shift):
    digit = check_digit(nine)
    if digit is None:
        return
    number = nine + str(digit)
    assert normalise(number) == number
    wrong = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1:]
    with pytest.raises(InvalidNhsNumber):
        normalise(wrong)


def test_display_groups_three_three_four():
    assert display("9434765919") == "943 476 5919"
