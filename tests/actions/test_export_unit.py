from datetime import date

import pytest

from mdt.actions.export import BOM, BadExportRequest, parse_log_filters, safe_cell, stream


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok = fine", "ok = fine"),
    (None, ""), (12, "12"),
])
def test_formula_injection_is_neutralised(value, expected):
    assert safe_cell(value) == expected


def test_stream_has_bom_one_header_and_every_row():
    text = "".join(stream(["a", "b"], ([n, f"=x{n}"] for n in range(1234))))
    lines = text.split("\r\n")
    assert text.startswith(BOM + "a,b\r\n")
    assert len(lines) == 1 + 1234 + 1 and lines[-1] == ""
    assert lines[1234] == "1233,'=x1233"
    assert text.count(BOM) == 1


def test_stream_yields_in_chunks():
    chunks = list(stream(["a"], ([n] for n in range(1200))))
    assert len(chunks) == 3


def test_filters_parse_and_refuse_bad_input():
    assert parse_log_filters({"from": "2026-01-01", "to": "2026-01-31", "owner_id": "4"}) == {
        "from": date(2026, 1, 1), "to": date(2026, 1, 31), "team_id": None, "owner_id": 4,
        "patient_id": None}
    for args, message in [({"to": "2026-01-01"}, "Give 'from'"),
                          ({"from": "2026-13-01", "to": "2026-01-01"}, "real date"),
                          ({"from": "2026-02-01", "to": "2026-01-01"}, "on or after"),
                          ({"from": "2026-01-01", "to": "2026-01-02", "owner_id": "x"},
                           "must be a number"),
                          ({"from": "2026-01-01", "to": "2026-01-02", "colour": "red"},
                           "Unknown filter")]:
        with pytest.raises(BadExportRequest, match=message):
            parse_log_filters(args)
    # With today given, dates left out are the last three months.
    found = parse_log_filters({}, date(2026, 11, 26))
    assert (found["from"], found["to"]) == (date(2026, 8, 26), date(2026, 11, 26))
