"""Caseload import through the web: upload, preview, import all or nothing, re-import,
scoping and audit."""

import io
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.imports.models import ImportBatch, ImportMapping
from mdt.patients.models import KeyInfoSection, Patient, PatientTeam
from mdt.teams.service import get_or_create_team
from tests.conftest import ClientRequest

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-practice-caseload.csv"


def _upload(client, raw, status=303, team_id=None):
    with client.app.app_context():
        team_id = team_id or get_or_create_team("Riverside").id
    return client.post("imports.upload", {"team_id": str(team_id),
                                          "file": (io.BytesIO(raw), "caseload.csv")},
                       _expected_status=status)


def _token(page):
    return page.response.headers["Location"].rsplit("/", 1)[1]


def _import(client, token, status=303):
    preview = client.get("imports.preview", token=token)
    fingerprint = preview.select_one("input[name=fingerprint]")["value"]
    return client.post("imports.run", {"fingerprint": fingerprint}, token=token,
                       _expected_status=status), preview


def _patients(app):
    with app.app_context():
        return {p.nhs_number: p for p in db.session.scalars(select(Patient))}


def test_a_chair_imports_the_sample_then_a_reimport_updates_demographics_only(
        app, make_user):
    chair = make_user(role="chair")
    client = ClientRequest(app).sign_in(chair)
    page = client.get("imports.upload")
    assert page.select_one("input[type=file][name=file]")
    token = _token(_upload(client, SAMPLE.read_bytes()))
    assert "999" not in token  # an opaque token: no NHS number in the address
    preview = client.get("imports.preview", token=token)
    statuses = [row["data-status"] for row in preview.select("tr[data-status]")]
    assert statuses == ["new"] * 6
    assert "Zoë Castellano" in preview.text
    page, _ = _import(client, token)
    patients = _patients(app)
    assert len(patients) == 6
    joan = patients["9997000013"]
    assert (joan.title, joan.usual_gp, joan.gp_practice) == \
        ("Mrs", "Dr Alys Hughes", "Riverside Medical Practice")
    assert joan.address == "7 Weir Cottages\nMill Lane\nRiverside"
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        assert db.session.scalar(select(func.count()).select_from(PatientTeam).where(
            PatientTeam.team_id == team_id)) == 6
        creates = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "create", AuditEvent.record_type == "patient")).all()
        assert len(creates) == 6 and all(e.changes["source"] == "import" for e in creates)
        from mdt.audit.chain import verify
        assert verify().ok  # the events written in one statement hold the chain
        assert db.session.get(ImportBatch, 1) is None or \
            db.session.scalar(select(ImportBatch)).rows == []  # no PID kept after import
        db.session.add(KeyInfoSection(patient_id=joan.id, section="wishes",
                                      data={"what_matters": "Her garden"},
                                      changed_by_id=chair.id))
        db.session.commit()
    # The same search a month later: Joan has moved, Harold's line is unchanged.
    text = SAMPLE.read_text(encoding="utf-8-sig").replace("7 Weir Cottages", "2 New Road")
    token = _token(_upload(client, text.encode("cp1252")))
    page, preview = _import(client, token)
    statuses = {row.select("td")[1].text: row["data-status"]
                for row in preview.select("tr[data-status]")}
    assert statuses["999 700 0013"] == "update"
    assert list(statuses.values()).count("unchanged") == 5
    joan_after = _patients(app)["9997000013"]
    assert joan_after.address.startswith("2 New Road") and joan_after.id == joan.id
    with app.app_context():
        section = db.session.scalar(select(KeyInfoSection))
        assert section.data == {"what_matters": "Her garden"}  # clinical data untouched
        change = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "change", AuditEvent.record_type == "patient"))
        assert change.patient_id == joan.id and "address" in change.changes


def test_a_line_with_an_error_stops_the_whole_import(app, make_user, make_patient):
    client = ClientRequest(app).sign_in(make_user(role="chair"))
    text = SAMPLE.read_text(encoding="utf-8-sig").replace("999 700 0072", "999 700 0073")
    token = _token(_upload(client, text.encode()))
    preview = client.get("imports.preview", token=token)
    assert preview.select_one("tr[data-status=error]")
    assert "check digit" in preview.select_one("tr[data-status=error]").text
    assert not preview.select_one("#import-button")
    client.post("imports.run", {"fingerprint": "forged"}, token=token, _expected_status=409)
    assert _patients(app) == {}


def test_a_change_since_the_preview_refuses_the_import(app, make_user, make_patient):
    client = ClientRequest(app).sign_in(make_user(role="chair"))
    token = _token(_upload(client, SAMPLE.read_bytes()))
    preview = client.get("imports.preview", token=token)
    fingerprint = preview.select_one("input[name=fingerprint]")["value"]
    make_patient(nhs_number="9997000013", given="Joan", family="Pemberton",
                 date_of_birth=date(1940, 2, 3))  # added by a colleague meanwhile
    page = client.post("imports.run", {"fingerprint": fingerprint}, token=token,
                       _expected_status=409)
    assert "changed since your preview" in page.text
    assert len(_patients(app)) == 1


def test_hostile_files_change_nothing_and_say_why(app, make_user):
    client = ClientRequest(app).sign_in(make_user(role="chair"))
    big = b"NHS Number,Surname\r\n" + b"9997000013,Pemberton\r\n" * 1_000_000  # 22 MB
    page = client.client.post("/patients/import", data={
        "team_id": "1", "csrf_token": client.csrf_token(),
        "file": (io.BytesIO(big), "big.csv")})
    assert page.status_code == 413
    assert "larger than 5 MB" in page.get_data(as_text=True)
    for raw, words in [(b"\x00\x01binary\x00", "binary"), (b"," * 1_000_000, "100 columns")]:
        page = _upload(client, raw, status=400)
        assert words in page.select_one(".nhsuk-error-message").text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
        refused = db.session.scalars(select(AuditEvent).where(
            AuditEvent.record_type == "patient_import", AuditEvent.outcome == "refused"))
        assert len(refused.all()) >= 2
    assert _patients(app) == {}


def test_columns_are_remembered_for_the_team(app, make_user):
    client = ClientRequest(app).sign_in(make_user(role="chair"))
    raw = b"Ref,NHS No.,Given,Family,Born\r\n1,9997000013,Joan,Pemberton,03/02/1940\r\n"
    token = _token(_upload(client, raw))
    preview = client.get("imports.preview", token=token)
    assert "Choose the column for First name" in preview.text
    client.post("imports.columns", {"nhs_number": "NHS No.", "given_name": "Given",
                                    "family_name": "Family", "date_of_birth": "Born"},
                token=token)
    token = _token(_upload(client, raw))  # the next upload: the team's choice comes back
    preview = client.get("imports.preview", token=token)
    assert [r["data-status"] for r in preview.select("tr[data-status]")] == ["new"]
    with app.app_context():
        assert db.session.scalar(select(ImportMapping)).columns["given_name"] == "Given"


def test_only_the_chair_who_uploaded_sees_the_upload(app, make_user):
    chair = ClientRequest(app).sign_in(make_user(role="chair"))
    token = _token(_upload(chair, SAMPLE.read_bytes()))
    other_chair = ClientRequest(app).sign_in(make_user(role="chair"))
    other_chair.get("imports.preview", token=token, _expected_status=404)
    other_chair.post("imports.run", {"fingerprint": "x"}, token=token, _expected_status=404)
    member = ClientRequest(app).sign_in(make_user())
    member.get("imports.upload", _expected_status=403)
    member.get("imports.preview", token=token, _expected_status=403)
    with app.app_context():
        hillside = get_or_create_team("Hillside").id
        db.session.commit()
    _upload(chair, SAMPLE.read_bytes(), status=400, team_id=hillside)  # not their team
    assert _patients(app) == {}


def test_a_large_search_passes_the_forms_1_mb_limit(app, make_user):
    """The app refuses ordinary forms over 1 MB; an import may be up to 5 MB."""
    from mdt.demo import demo_nhs_numbers

    client = ClientRequest(app).sign_in(make_user(role="chair"))
    lines = ["NHS Number,Forename,Surname,Date of Birth,Notes"]
    lines += [f"{n},Ann,Example{i},01/01/1950,{'x' * 300}"
              for i, n in enumerate(demo_nhs_numbers(5000, start=300001))]
    raw = "\r\n".join(lines).encode()
    assert 1024 * 1024 < len(raw) < 5 * 1024 * 1024
    token = _token(_upload(client, raw))
    with app.app_context():
        assert db.session.scalar(select(ImportBatch)).row_count == 5000
    assert token
