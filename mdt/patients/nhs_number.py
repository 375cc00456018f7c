"""NHS numbers: 10 digits, the last a modulus-11 check digit."""

import re


class InvalidNhsNumber(ValueError):
    pass


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can end them."""
    total = sum(int(d) * weight for d, weight in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def normalise(raw: str | None) -> str:
    """'943 476 5919' or '943-476-5919' -> '9434765919'; raises InvalidNhsNumber with a
    message fit to show the user."""
    text = re.sub(r"[\s-]", "", raw or "")
    if not text:
        raise InvalidNhsNumber("Enter the patient's NHS number")
    if not re.fullmatch(r"[0-9]+", text):
        raise InvalidNhsNumber("NHS number must contain only numbers, spaces or dashes")
    if len(text) != 10:
        raise InvalidNhsNumber("NHS number must be 10 digits")
    if check_digit(text[:9]) != int(text[9]):
        raise InvalidNhsNumber("Enter a valid NHS number: this one fails the check digit, "
                               "so a digit may be mistyped")
    return text


def display(number: str) -> str:
    """'9434765919' -> '943 476 5919', the way NHS numbers are read out."""
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def numbers_in_test_range(count: int, start: int = 100001) -> list[str]:
    """Valid NHS numbers in the 999 test range (never issued to real people), in order."""
    found, serial = [], start
    while len(found) < count:
        if serial > 999999:
            raise ValueError("too many numbers for the 999 test range from this start")
        nine = f"999{serial:06d}"
        digit = check_digit(nine)
        if digit is not None:
            found.append(nine + str(digit))
        serial += 1
    return found
