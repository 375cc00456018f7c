from sqlalchemy import select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.patients.models import Patient
from tests.conftest import count_queries

GOOD = {"nhs_number": "943 476 5919", "given_name": "Margaret", "family_name": "Ellis",
        "date_of_birth[day]": "14", "date_of_birth[month]": "3", "date_of_birth[year]": "1941",
        "address": "12 Mill Lane", "postcode": "rv1 2ab", "gp_practice": "Riverside",
        "phone": "01632 960000"}


def _team_id(app, name="Riverside"):
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        return get_or_create_team(name).id


def _events(app, **filters):
    with app.app_context():
        stmt = select(AuditEvent).filter_by(**filters).order_by(AuditEvent.id)
        return [(e.action, e.record_type, e.outcome, e.record_id, e.changes)
                for e in db.session.scalars(stmt)]


def test_list_shows_only_my_teams_patients(client_request, make_user, make_patient):
    make_patient(given="Arthur", family="Whitfield")
    make_patient(team="Hillside", given="Vera", family="Lindqvist")
    client_request.sign_in(make_user())
    page = client_request.get("patients.index")
    text = page.select_one("#patient-table").get_text()
    assert "Whitfield, Arthur" in text
    assert "Lindqvist" not in text


def test_another_teams_patient_is_a_404_everywhere(client_request, make_user, make_patient):
    theirs = make_patient(team="Hillside")
    client_request.sign_in(make_user())
    client_request.get("patients.show", patient_id=theirs.id, _expected_status=404)
    client_request.get("patients.edit", patient_id=theirs.id, _expected_status=404)
    client_request.post("patients.edit", patient_id=theirs.id, _data=GOOD, _expected_status=404)


def test_bad_nhs_number_is_refused_keeps_what_was_typed_and_is_audited(
        app, client_request, make_user):
    user = make_user(role="chair")
    client_request.sign_in(user)
    data = dict(GOOD, nhs_number="943 476 5918", team_id=_team_id(app))
    page = client_request.post("patients.new", _data=data, _expected_status=400)
    summary = page.select_one(".nhsuk-error-summary")
    assert "fails the check digit" in summary.get_text()
    assert summary.select_one("a")["href"] == "#nhs_number"
    assert page.title.string.startswith("Error:")
    assert page.select_one("#nhs_number")["value"] == "943 476 5918"
    assert page.select_one("#given_name")["value"] == "Margaret"
    assert page.select_one("#date_of_birth-year")["value"] == "1941"
    with app.app_context():
        assert db.session.scalar(select(Patient)) is None
    assert _events(app, record_type="patient") == [
        ("create", "patient", "refused", None, {"errors": ["nhs_number"]})]


def test_add_a_patient_then_see_them_with_the_view_audited(app, client_request, make_user):
    client_request.sign_in(make_user())
    page = client_request.post("patients.new", _data=dict(GOOD, team_id=_team_id(app)))
    location = page.response.headers["Location"]
    with app.app_context():
        patient = db.session.scalar(select(Patient))
        assert (patient.nhs_number, patient.postcode) == ("9434765919", "RV1 2AB")
    assert location.endswith(f"/patients/{patient.id}")
    shown = client_request.get("patients.show", patient_id=patient.id)
    assert shown.select_one("h1").get_text() == "Margaret Ellis"
    assert "943 476 5919" in shown.get_text()
    events = _events(app, record_type="patient")
    assert [e[:4] for e in events] == [("create", "patient", "ok", patient.id),
                                       ("view", "patient", "ok", patient.id)]
    assert events[0][4]["nhs_number"] == ["", "9434765919"]


def test_duplicate_nhs_number_is_refused(app, client_request, make_user, make_patient):
    make_patient(team="Hillside", nhs_number="9434765919")
    client_request.sign_in(make_user())
    page = client_request.post("patients.new", _data=dict(GOOD, team_id=_team_id(app)),
                               _expected_status=400)
    assert "already registered" in page.select_one(".nhsuk-error-summary").get_text()
    assert "Hillside" not in page.get_text()  # nothing about the other team leaks


def test_duplicate_within_my_team_names_the_other_patient(app, client_request, make_user,
                                                         make_patient):
    mine = make_patient(given="Arthur", family="Whitfield")
    other = make_patient(given="Doreen", family="Achebe")
    client_request.sign_in(make_user())
    page = client_request.get("patients.edit", patient_id=other.id)
    data = {**GOOD, "nhs_number": mine.nhs_number, "version": page.select_one(
        "input[name=version]")["value"]}
    page = client_request.post("patients.edit", patient_id=other.id, _data=data,
                               _expected_status=400)
    assert "already recorded for Arthur Whitfield" in page.select_one(
        ".nhsuk-error-summary").get_text()


def test_forged_team_id_is_refused(app, client_request, make_user):
    client_request.sign_in(make_user())
    page = client_request.post("patients.new", _data=dict(GOOD, team_id=_team_id(app, "Hillside")),
                               _expected_status=400)
    assert "Choose one of your teams" in page.get_text()
    with app.app_context():
        assert db.session.scalar(select(Patient)) is None


def test_bad_dates_get_clear_errors(app, client_request, make_user):
    client_request.sign_in(make_user())
    team_id = _team_id(app)
    for day, month, year, message in [("31", "2", "1950", "must be a real date"),
                                      ("1", "1", "50", "4-digit year"),
                                      ("", "3", "1950", "must include a day"),
                                      ("", "", "", "Enter the patient's date of birth"),
                                      ("1", "1", "2999", "today or in the past")]:
        data = dict(GOOD, team_id=team_id, **{"date_of_birth[day]": day,
                                               "date_of_birth[month]": month,
                                               "date_of_birth[year]": year})
        page = client_request.post("patients.new", _data=data, _expected_status=400)
        assert message in page.select_one(".nhsuk-error-summary").get_text(), message


def test_hostile_and_oversized_text(app, client_request, make_user):
    client_request.sign_in(make_user())
    team_id = _team_id(app)
    page = client_request.post("patients.new", _data=dict(
        GOOD, team_id=team_id, family_name="x" * 101), _expected_status=400)
    assert "Last name must be 100 characters or fewer" in page.select_one(".nhsuk-error-summary").get_text()
    client_request.post("patients.new", _data=dict(
        GOOD, team_id=team_id, given_name="<script>alert(1)</script>\x00Ann"))
    with app.app_context():
        patient = db.session.scalar(select(Patient))
        assert patient.given_name == "<script>alert(1)</script>Ann"
    shown = client_request.client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in shown and "&lt;script&gt;alert(1)" in shown


def test_edit_is_audited_with_old_and_new_values(app, client_request, make_user, make_patient):
    patient = make_patient(given="Ann", family="Old")
    client_request.sign_in(make_user())
    page = client_request.get("patients.edit", patient_id=patient.id)
    version = page.select_one("input[name=version]")["value"]
    data = {**GOOD, "nhs_number": patient.nhs_number, "given_name": "Ann", "family_name": "New",
            "version": version}
    client_request.post("patients.edit", patient_id=patient.id, _data=data)
    change = [e for e in _events(app, record_type="patient") if e[0] == "change"]
    assert change[0][4]["family_name"] == ["Old", "New"]


def test_concurrent_edit_is_refused_and_loses_nothing(app, client_request, make_user,
                                                      make_patient):
    patient = make_patient(family="Original")
    client_request.sign_in(make_user())
    page = client_request.get("patients.edit", patient_id=patient.id)
    stale = page.select_one("input[name=version]")["value"]
    base = {**GOOD, "nhs_number": patient.nhs_number, "version": stale}
    client_request.post("patients.edit", patient_id=patient.id,
                        _data=dict(base, family_name="FirstSave"))
    page = client_request.post("patients.edit", patient_id=patient.id,
                               _data=dict(base, family_name="SecondSave"), _expected_status=400)
    assert "Someone else saved changes" in page.select_one(".nhsuk-error-summary").get_text()
    assert page.select_one("#family_name")["value"] == "SecondSave"  # kept for the user
    with app.app_context():
        assert db.session.get(Patient, patient.id).family_name == "FirstSave"


def test_search_by_name_and_nhs_number_with_htmx_fragment(client_request, make_user,
                                                          make_patient):
    make_patient(given="Arthur", family="Whitfield", nhs_number="9434765919")
    make_patient(given="Doreen", family="Achebe")
    client_request.sign_in(make_user())
    fragment = client_request.post("patients.search", _data={"q": "whit"}, _htmx=True,
                                   _expected_status=200)
    assert fragment.title is None  # only the rows, not the page
    assert "Whitfield" in fragment.get_text() and "Achebe" not in fragment.get_text()
    page = client_request.post("patients.search", _data={"q": "943 476"}, _expected_status=200)
    assert page.title is not None and "Whitfield" in page.select_one("#patient-table").get_text()
    nothing = client_request.post("patients.search", _data={"q": "%_"}, _htmx=True,
                                  _expected_status=200)
    assert "No patients match" in nothing.get_text()


def test_patient_list_queries_do_not_grow_with_rows(app, client_request, make_user, make_patient):
    client_request.sign_in(make_user())
    make_patient()
    with app.app_context(), count_queries(db.engine) as few:
        client_request.get("patients.index")
    for n in range(30):
        make_patient(family=f"Family{n}")
    with app.app_context(), count_queries(db.engine) as many:
        page = client_request.get("patients.index")
    assert len(page.select("#patient-table tbody tr")) == 31
    assert len(many) == len(few) <= 12


def test_a_typed_address_keeps_its_lines_without_a_blank_line_above(app, client_request,
                                                                    make_user, make_patient):
    patient = make_patient(address="12 Mill Lane\nRiverside")
    client_request.sign_in(make_user())
    page = client_request.get("patients.show", patient_id=patient.id)
    cell = next(row.select_one("dd") for row in page.select("#details .nhsuk-summary-list__row")
                if row.select_one("dt").get_text(strip=True) == "Address")
    span = cell.select_one("span.app-pre-line")
    # The text's own line break only (the macro's indentation collapses under pre-line).
    assert [line.strip() for line in span.get_text().split("\n")] == ["12 Mill Lane",
                                                                      "Riverside"]
    assert not cell.get_text().startswith("\n\n")
    css = (app.static_folder + "/css/app.css")
    rules = open(css).read()
    assert ".app-pre-line { white-space: pre-line; }" in rules
    assert ".nhsuk-summary-list__value { white-space" not in rules


def test_a_long_list_comes_in_pages_and_says_how_many(app, client_request, make_user,
                                                      make_patient, monkeypatch):
    """Never silently cut: "4 to 6 of 7 patients", pages by link (filters) or by posting
    the search again (the words stay out of the URL), and a stale page number is safe."""
    from mdt.patients import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 3)
    for n in range(7):
        make_patient(given=f"P{n}", family=f"Family{n}")
    client_request.sign_in(make_user())
    page = client_request.get("patients.index")
    assert len(page.select("#patient-table tbody tr")) == 3
    assert page.select_one("#patient-count").get_text().strip() == "1 to 3 of 7 patients"
    link = page.select_one("#patient-pages a[href*='page=2']")["href"]
    second = client_request._check(client_request.client.get(link), 200)
    assert second.select_one("#patient-count").get_text().strip() == "4 to 6 of 7 patients"
    names = [a.get_text() for a in second.select("#patient-table tbody tr td a")]
    assert names == ["Family3, P3", "Family4, P4", "Family5, P5"]
    for beyond in ("99", "9" * 30):  # past the end: the last page
        last = client_request.get("patients.index", page=beyond)
        assert last.select_one("#patient-count").get_text().strip() == "7 to 7 of 7 patients"
    for odd in ("0", "-1", "x", "2.5"):
        assert client_request.get("patients.index", page=odd).select_one(
            "#patient-count").get_text().strip() == "1 to 3 of 7 patients"
    found = client_request.post("patients.search", _data={"q": "Family", "page": "3"},
                                _expected_status=200)
    assert found.select_one("#patient-count").get_text().strip() == \
        "7 to 7 of 7 patients matching"
    back = found.select_one("#patient-pages button[name=page]")
    assert back["value"] == "2" and "Family" not in found.select_one("#patient-pages")["action"]
    monkeypatch.setattr(listing, "PAGE_SIZE", 10)
    page = client_request.get("patients.index")
    assert page.select_one("#patient-count").get_text().strip() == "7 patients"
    assert page.select_one("#patient-pages") is None


def test_review_filters_and_sorts_page_too(app, client_request, make_user, make_patient,
                                           monkeypatch):
    from mdt.patients import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    for n in range(5):
        make_patient(given=f"P{n}", family=f"Family{n}")
    client_request.sign_in(make_user())
    shown = []
    for number in (1, 2, 3):
        page = client_request.get("patients.index", sort="review", page=str(number))
        shown += [a.get_text() for a in page.select("#patient-table tbody tr td a")]
    assert len(shown) == 5 and len(set(shown)) == 5
    assert page.select_one("#patient-count").get_text().strip() == "5 to 5 of 5 patients"


