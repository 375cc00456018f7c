"""The caseload file and the import plan, without Flask: encodings, delimiters, hostile files,
column guesses, and what each line would do."""

from datetime import date

import pytest

from mdt.imports import parse
from mdt.imports.plan import Known, counts, fingerprint, plan

HEAD = "NHS Number,Title,Forename,Surname,Date of Birth,Number and Street,Town,Postcode," \
       "Registered Practice,Usual GP"
TODAY = date(2026, 11, 26)


def _line(number="999 700 0013", given="Joan", family="Pemberton", dob="03/02/1940",
          street="7 Mill Lane", sep=","):
    return sep.join([number, "Mrs", given, family, dob, street, "Riverside", "rv1 2ax",
                     "Riverside Medical Practice", "Dr Alys Hughes"])


def _plan(*lines, known=None, team=None):
    csv_file = parse.read_csv(("\r\n".join([HEAD, *lines]) + "\r\n").encode())
    mapping = parse.guess_mapping(csv_file.headers)
    return plan(csv_file.headers, csv_file.rows, mapping, known or {}, team or {}, TODAY)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [",", ";"])
def test_utf8_with_or_without_bom_and_windows_1252_with_commas_or_semicolons(encoding, sep):
    text = HEAD.replace(",", sep) + "\r\n" + _line(given="Zoë", family="Ó Briain", sep=sep)
    csv_file = parse.read_csv(text.encode(encoding))
    assert csv_file.delimiter == sep
    assert csv_file.headers[0] == "NHS Number"  # no BOM left on the first heading
    assert csv_file.rows[0][2:4] == ["Zoë", "Ó Briain"]


def test_emis_and_systmone_headings_are_guessed_and_a_remembered_choice_wins():
    emis = ["NHS Number", "Title", "Forename", "Surname", "Date of Birth",
            "House Name/Flat Number", "Number and Street", "Village", "Town", "County",
            "Postcode", "Usual GP", "Registered Practice"]
    mapping = parse.guess_mapping(emis)
    assert mapping["address_1"] == "House Name/Flat Number" and mapping["usual_gp"] == "Usual GP"
    assert mapping["gp_practice"] == "Registered Practice" and mapping["address_5"] == "County"
    s1 = ["NHS number", "First name", "Surname", "Date of birth", "Address line 1",
          "Postcode", "Registered GP", "Practice"]
    mapping = parse.guess_mapping(s1, remembered={"given_name": "Surname"})
    assert mapping["given_name"] == "Surname" and "family_name" not in mapping
    assert mapping["usual_gp"] == "Registered GP" and mapping["gp_practice"] == "Practice"
    assert parse.missing_fields(mapping) == ["Last name (surname)"]


@pytest.mark.parametrize("raw, words", [
    (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
    (b"NHS Number,Surname\r\n\x00\x01\x02\x00binary", "binary"),
    (b"%PDF-1.7 ...", "binary"),
    (b"A" * (parse.MAX_BYTES + 1), "larger than 5 MB"),
    (b"," * 1_000_000 + b"\r\n", "more than 100 columns"),
    (b"NHS Number,Surname\r\n1," + b"x" * 5000 + b"\r\n", "longer than 1000"),
    (b"", "empty"),
    (b"9997000013,Pemberton,03/02/1940\r\n", "column headings"),
])
def test_hostile_files_are_refused_whole_with_a_clear_reason(raw, words):
    with pytest.raises(parse.ImportFileError, match=words):
        parse.read_csv(raw)


def test_too_many_rows_are_refused():
    raw = (HEAD + "\r\n" + ("x," * 3 + "\r\n") * (parse.MAX_ROWS + 2)).encode()
    with pytest.raises(parse.ImportFileError, match="more than 10,000"):
        parse.read_csv(raw)


@pytest.mark.parametrize("text, expected", [
    ("03/02/1940", date(1940, 2, 3)), ("3-Feb-1940", date(1940, 2, 3)),
    ("03 February 1940", date(1940, 2, 3)), ("1940-02-03", date(1940, 2, 3)),
    ("03.02.1940 00:00", date(1940, 2, 3))])
def test_dates_as_gp_systems_write_them(text, expected):
    assert parse.parse_date(text) == expected


@pytest.mark.parametrize("text, words", [("31/02/1950", "not a real date"),
                                         ("03/02/40", "4-digit year"),
                                         ("soon", "not a date"), ("", "no date")])
def test_impossible_dates_are_a_reason(text, words):
    with pytest.raises(ValueError, match=words):
        parse.parse_date(text)


def test_every_line_is_marked_with_its_reason():
    lines = _plan(_line(),
                  _line(number="999 700 0014", given="Bad"),  # check digit
                  _line(number="999 700 0021", dob="31/02/1950"),
                  _line(number="999 700 0048", given="=HYPERLINK(\"http://evil\")"),
                  _line(number="999 700 0056", dob="01/01/2030"),
                  _line(number="999 700 0064", family=""))
    assert [line.status for line in lines] == ["new"] + ["error"] * 5
    assert "check digit" in lines[1].reasons[0]
    assert "not a real date" in lines[2].reasons[0]
    assert "formula" in lines[3].reasons[0]
    assert "future" in lines[4].reasons[0]
    assert lines[5].reasons == ["no last name"]
    assert lines[0].data["address"] == "7 Mill Lane\nRiverside"
    assert lines[0].data["postcode"] == "RV1 2AX"
    assert counts(lines)["error"] == 5


def test_the_same_nhs_number_twice_in_the_file_is_an_error_on_both_lines():
    lines = _plan(_line(), _line(given="Joanie"), _line(number="9997000021"))
    assert [line.status for line in lines] == ["error", "error", "new"]
    assert "line 3" in lines[0].reasons[0] and "line 2" in lines[1].reasons[0]


def _known(**changes):
    fields = dict(id=7, nhs_number="9997000013", given_name="Joan", family_name="Pemberton",
                  date_of_birth=date(1940, 2, 3), on_team=True,
                  demographics={"title": "Mrs", "given_name": "Joan",
                                "family_name": "Pemberton", "address": "Old address",
                                "postcode": "RV1 2AX", "gp_practice": "Riverside Medical "
                                "Practice", "usual_gp": "Dr Alys Hughes"})
    fields.update(changes)
    return {"9997000013": Known(**fields)}


def test_a_known_nhs_number_updates_demographics_only():
    [line] = _plan(_line(), known=_known())
    assert line.status == "update" and line.patient_id == 7
    assert line.changes == {"address": ["Old address", "7 Mill Lane\nRiverside"]}
    [line] = _plan(_line(street=""), known=_known(demographics={
        **_known()["9997000013"].demographics, "address": "Riverside"}))
    assert line.status == "unchanged"


def test_a_number_recorded_for_someone_else_is_never_an_update():
    """Hazard H13: the NHS number matches, but the date of birth or the whole name differs:
    the line is an error, so the import cannot overwrite the wrong person."""
    [line] = _plan(_line(), known=_known(date_of_birth=date(1941, 2, 3)))
    assert line.status == "error" and "date of birth differs" in line.reasons[0]
    [line] = _plan(_line(given="Brian", family="Cox"), known=_known())
    assert line.status == "error" and "names someone else" in line.reasons[0]
    [line] = _plan(_line(family="Pemberton-Smith"), known=_known())  # a new surname is fine
    assert line.status == "update"


def test_another_teams_patient_and_a_twin_on_the_list_are_errors():
    [line] = _plan(_line(), known=_known(on_team=False))
    assert line.status == "error" and "not on this team's list" in line.reasons[0]
    twin = Known(id=9, nhs_number="9434765919", given_name="Joan", family_name="Pemberton",
                 date_of_birth=date(1940, 2, 3), on_team=True)
    [line] = _plan(_line(), team={("joan", "pemberton", date(1940, 2, 3)): twin})
    assert line.status == "error" and "943 476 5919" in line.reasons[0]


def test_a_patient_no_longer_on_the_caseload_is_left_as_is():
    [line] = _plan(_line(), known=_known(closed="This patient is no longer on the caseload"))
    assert line.status == "skip" and line.notes
    assert counts([line])["error"] == 0


def test_the_fingerprint_changes_when_what_happens_changes():
    first = fingerprint(_plan(_line()))
    assert fingerprint(_plan(_line())) == first
    assert fingerprint(_plan(_line(), known=_known())) != first
