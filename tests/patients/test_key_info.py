from datetime import date

import pytest

from mdt.patients.key_info import BY_NAME, KeyInfoError, as_form_values, validate

TODAY = date(2026, 11, 24)
BORN = date(1941, 3, 14)


def check(section, **values):
    return validate(BY_NAME[section], values, date_of_birth=BORN, today=TODAY)


def test_valid_section_is_stored_with_iso_dates_and_no_blanks():
    data = check("resuscitation", resuscitation_status="dnacpr",
                 resuscitation_date=date(2026, 10, 1), resuscitation_location="")
    assert data == {"resuscitation_status": "dnacpr", "resuscitation_date": "2026-10-01"}
    assert as_form_values(BY_NAME["resuscitation"], data)["resuscitation_date"] == \
        date(2026, 10, 1)


@pytest.mark.parametrize("section, values, field, message", [
    ("resuscitation", {"resuscitation_date": date(2026, 10, 1)}, "resuscitation_status",
     "Select the DNACPR / ReSPECT status"),
    ("resuscitation", {"resuscitation_status": "dnacpr", "resuscitation_date": date(2027, 1, 1)},
     "resuscitation_date", "today or in the past"),
    ("death", {"date_of_death": date(1940, 1, 1)}, "date_of_death", "after the date of birth"),
    ("death", {"date_of_death": date(2026, 12, 1)}, "date_of_death", "today or in the past"),
    ("consent", {"consent_date": date(2026, 1, 1)}, "consent", "given or declined"),
    ("wishes", {"preferred_place_of_care": "moon"}, "preferred_place_of_care", "valid option"),
    ("what_matters", {"what_matters": "x" * 2001}, "what_matters", "2000 characters or fewer"),
])
def test_bad_input_is_refused_with_a_clear_message(section, values, field, message):
    with pytest.raises(KeyInfoError) as caught:
        check(section, **values)
    assert message in caught.value.errors[field]
