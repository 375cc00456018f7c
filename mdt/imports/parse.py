"""Reading a practice's caseload CSV (an EMIS Web or SystmOne search saved as CSV): pure
functions of bytes and plain data, no Flask, no database.

A hostile file is refused as a whole with a reason fit to show (ImportFileError): binary,
too large, too many columns or rows, an over-long cell. What is wrong with one line (a
formula cell, a bad NHS number, an impossible date) is that line's error (mdt.imports.plan).
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

MAX_BYTES = 5 * 1024 * 1024  # 5,000 patients with long addresses is about 1 MB
MAX_COLUMNS = 100
MAX_ROWS = 10_000
MAX_CELL = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The fields a line can fill, in the order the mapping form shows them.
FIELDS = {
    "nhs_number": "NHS number",
    "title": "Title",
    "given_name": "First name (forename)",
    "family_name": "Last name (surname)",
    "date_of_birth": "Date of birth",
    "address_1": "Address line 1",
    "address_2": "Address line 2",
    "address_3": "Address line 3",
    "address_4": "Address line 4",
    "address_5": "Address line 5",
    "postcode": "Postcode",
    "gp_practice": "Registered practice",
    "usual_gp": "Usual GP",
}
REQUIRED = ("nhs_number", "given_name", "family_name", "date_of_birth")
ADDRESS = tuple(f"address_{n}" for n in range(1, 6))

# Column names seen in GP system reports (EMIS Web, SystmOne, Vision), compared after
# lower-casing and dropping everything but letters and digits.
_GUESSES = {
    "nhs_number": ["nhsnumber", "nhsno", "nhs", "nhsnum", "patientnhsnumber"],
    "title": ["title", "patienttitle"],
    "given_name": ["forename", "forenames", "firstname", "firstnames", "givenname",
                   "givennames", "patientforename", "calledname"],
    "family_name": ["surname", "lastname", "familyname", "patientsurname"],
    "date_of_birth": ["dateofbirth", "dob", "birthdate", "patientdateofbirth"],
    "address_1": ["addressline1", "address1", "housenameflatnumber", "housename",
                  "housenameflat", "flat", "address"],
    "address_2": ["addressline2", "address2", "numberandstreet", "street", "road",
                  "houseno", "housenumberandstreet"],
    "address_3": ["addressline3", "address3", "village", "locality"],
    "address_4": ["addressline4", "address4", "town", "posttown", "towncity", "city"],
    "address_5": ["addressline5", "address5", "county"],
    "postcode": ["postcode", "postalcode", "postcodefull", "patientpostcode"],
    "gp_practice": ["registeredpractice", "practice", "practicename", "registeredgppractice",
                    "registeredorganisation", "organisation", "usualgpsorganisation",
                    "usualgporganisation", "gppractice"],
    "usual_gp": ["usualgp", "usualgpname", "usualgpfullname", "registeredgp", "namedgp",
                 "gp", "usualgpsname"],
}


class ImportFileError(ValueError):
    """The whole file is refused: the message says why, in words fit for the page."""


@dataclass(frozen=True)
class CsvFile:
    headers: list[str]
    rows: list[list[str]]
    delimiter: str
    encoding: str


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 with or without a byte-order mark, else Windows-1252."""
    if raw.startswith(b"PK\x03\x04"):
        raise ImportFileError("This looks like an Excel workbook, not a CSV file: open it in "
                              "Excel and save it as 'CSV (comma delimited)', then upload that")
    if b"\x00" in raw or raw.startswith(b"%PDF"):
        raise ImportFileError("This is not a CSV file (it holds binary data): save the search "
                              "as CSV from the clinical system and upload that")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, bom = raw[3:], True
    else:
        bom = False
    try:
        text, encoding = raw.decode("utf-8"), "UTF-8 with BOM" if bom else "UTF-8"
    except UnicodeDecodeError:
        try:
            text, encoding = raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            raise ImportFileError("This file's characters could not be read (it is neither "
                                  "UTF-8 nor Windows-1252 text): save it as CSV and try "
                                  "again") from None
    controls = sum(1 for ch in text[:20000] if ch < " " and ch not in "\r\n\t")
    if controls > 5:
        raise ImportFileError("This is not a CSV file (it holds binary data): save the search "
                              "as CSV from the clinical system and upload that")
    return text, encoding


def read_csv(raw: bytes) -> CsvFile:
    """Headers and rows of a CSV file (`,` or `;` between cells), or ImportFileError."""
    if len(raw) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: a "
                              "caseload search should be far smaller. Check it is the right file")
    if not raw.strip():
        raise ImportFileError("The file is empty")
    text, encoding = decode(raw)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if first_line.count(delimiter) + 1 > MAX_COLUMNS:
        raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns: a caseload "
                              "search has a few. Check it is the right file")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS:
                raise ImportFileError(f"Line {reader.line_num} has more than {MAX_COLUMNS} "
                                      "cells: check it is the right file")
            if any(len(cell) > MAX_CELL for cell in row):
                raise ImportFileError(f"Line {reader.line_num} has a cell longer than "
                                      f"{MAX_CELL} characters: check it is the right file")
            if not any(cell.strip() for cell in row):
                continue  # blank lines (and EMIS's trailing empty line)
            rows.append([cell.strip() for cell in row])
            if len(rows) > MAX_ROWS + 1:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} patients: "
                                      "import a smaller search")
    except csv.Error as exc:
        raise ImportFileError(f"The file could not be read as CSV (line {reader.line_num}: "
                              f"{exc}): save it again as CSV") from None
    if not rows:
        raise ImportFileError("The file is empty")
    headers = rows[0]
    if not any(_key(h) in {g for gs in _GUESSES.values() for g in gs} for h in headers) \
            and any(_looks_like_nhs_number(h) for h in headers):
        raise ImportFileError("The first line should name the columns (NHS number, surname "
                              "...), but it holds a patient: save the search with its "
                              "column headings")
    return CsvFile(headers=headers, rows=rows[1:], delimiter=delimiter, encoding=encoding)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _looks_like_nhs_number(text: str) -> bool:
    return bool(re.fullmatch(r"\d{3}[ -]?\d{3}[ -]?\d{4}", text.strip()))


def guess_mapping(headers: list[str], remembered: dict | None = None) -> dict[str, str]:
    """{field: header}: the team's remembered choice where this file has that column, else a
    guess from the usual GP system column names; fields with no column are left out."""
    mapping, taken = {}, set()
    for field, header in (remembered or {}).items():
        if field in FIELDS and header in headers:
            mapping[field] = header
            taken.add(header)
    keys = {_key(h): h for h in reversed(headers)}  # the first of duplicate headers wins
    for field, guesses in _GUESSES.items():
        if field in mapping:
            continue
        for guess in guesses:
            header = keys.get(guess)
            if header is not None and header not in taken:
                mapping[field] = header
                taken.add(header)
                break
    return mapping


def missing_fields(mapping: dict) -> list[str]:
    return [FIELDS[f] for f in REQUIRED if not mapping.get(f)]


def extract(headers: list[str], row: list[str], mapping: dict) -> dict[str, str]:
    """One line's cells by field (missing cells are empty)."""
    index = {h: n for n, h in reversed(list(enumerate(headers)))}
    out = {}
    for field, header in mapping.items():
        n = index.get(header)
        out[field] = row[n] if n is not None and n < len(row) else ""
    return out


def formula_cells(headers: list[str], row: list[str]) -> list[str]:
    """The headers of the cells that a spreadsheet would run as a formula."""
    found = []
    for n, cell in enumerate(row):
        if cell.startswith(FORMULA_START) and cell != "-":
            found.append(headers[n] if n < len(headers) and headers[n] else f"column {n + 1}")
    return found


_MONTHS = {m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"), 1)}


def parse_date(text: str) -> date:
    """A date of birth as GP systems write it: 15/03/1948, 15-Mar-1948, 15 March 1948,
    1948-03-15 (a time after it is ignored). ValueError with a reason otherwise."""
    value = text.strip()
    value = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2})?$", "", value)
    if not value:
        raise ValueError("no date of birth")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[/.\- ](\d{1,2}|[A-Za-z]{3,9})[/.\- ](\d{2,4})", value)
        if not match:
            raise ValueError(f"date of birth '{value}' is not a date (write it as 15/03/1948)")
        day_text, month_text, year_text = match.groups()
        if len(year_text) != 4:
            raise ValueError(f"date of birth '{value}' needs a 4-digit year")
        day, year = int(day_text), int(year_text)
        if month_text.isdigit():
            month = int(month_text)
        else:
            month = _MONTHS.get(month_text[:3].lower(), 0)
            if not month or (len(month_text) > 3 and not _full_month(month_text)):
                raise ValueError(f"date of birth '{value}' has no month we know")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"date of birth '{value}' is not a real date") from None


def _full_month(text: str) -> bool:
    import calendar

    return text.lower() in {m.lower() for m in calendar.month_name if m} | {"sept"}
