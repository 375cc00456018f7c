"""Hypothesis-generated text (any unicode, control characters, HTML, very long) through the
forms that store free text: never a 500, never markup in the page, and what is stored is
exactly what was typed after the one documented clean-up (mdt.forms.clean_text: surrounding
space and control characters other than newline and tab removed)."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mdt.actions.models import Action
from mdt.extensions import db
from mdt.forms import clean_text
from mdt.patients.models import KeyInfoSection, Patient
from mdt.timeutil import london_today

hostile = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=200),
    st.sampled_from(["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
                     "'; DROP TABLE patients; --", "=HYPERLINK(\"http://evil\")", "\u202eevil",
                     "\x00\x01\x1b[31m", "a" * 5000, "ＮＨＳ 😀 ﷽", "\r\n\r\n"]),
)
SLOW = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _date(prefix, day):
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


def _no_markup_from(text, html):
    """Whatever was typed, the page holds no script or event handler made from it: every
    script is the app's own (a src, or the layout's one nonce'd line), no attribute is on*."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(html, "html.parser")
    for script in page.find_all("script"):
        assert script.get("src") or script.get("nonce"), script
    for element in page.find_all(True):
        assert not [a for a in element.attrs if a.lower().startswith("on")], element.name
    assert page.find("img", src="x") is None


@SLOW
@given(text=hostile)
def test_patient_names_and_addresses(app, client_request, make_user, make_patient, text):
    if not hasattr(client_request, "_signed_in"):
        client_request.sign_in(make_user())
        client_request._signed_in = make_patient(given="Base", family="Patient")
    patient = client_request._signed_in
    page = client_request.client.get(f"/patients/{patient.id}/edit")
    version = page.get_data(as_text=True).split('name="version" type="hidden" value="')[1]
    version = version.split('"')[0]
    response = client_request.client.post(f"/patients/{patient.id}/edit", data={
        "csrf_token": client_request.csrf_token(), "version": version,
        "nhs_number": patient.nhs_number, "given_name": text or "x", "family_name": "Patient",
        **_date("date_of_birth", patient.date_of_birth), "address": text})
    assert response.status_code in (303, 400), response.status_code
    html = client_request.client.get(f"/patients/{patient.id}").get_data(as_text=True)
    _no_markup_from(text, html)
    with app.app_context():
        stored = db.session.get(Patient, patient.id)
        if response.status_code == 303:
            assert stored.address == clean_text(text)
            assert stored.given_name == clean_text(text or "x")


@SLOW
@given(text=hostile)
def test_key_information_and_actions(app, client_request, make_user, make_patient, text):
    if not hasattr(client_request, "_who"):
        user = make_user()
        client_request.sign_in(user)
        client_request._who = (user, make_patient())
    user, patient = client_request._who
    page = client_request.client.get(f"/patients/{patient.id}/key-information/what_matters")
    version = page.get_data(as_text=True).split('name="version" type="hidden" value="')[1]
    response = client_request.client.post(
        f"/patients/{patient.id}/key-information/what_matters",
        data={"csrf_token": client_request.csrf_token(), "version": version.split('"')[0],
              "what_matters": text})
    assert response.status_code in (303, 400)
    if response.status_code == 303:
        with app.app_context():
            data = db.session.scalar(select(KeyInfoSection.data).where(
                KeyInfoSection.patient_id == patient.id))
            assert (data or {}).get("what_matters", "") == clean_text(text)
    action = client_request.client.post("/actions/new", data={
        "csrf_token": client_request.csrf_token(), "patient_id": patient.id,
        "description": text, "owner_id": user.id, "priority": "normal",
        **_date("due_on", london_today() + timedelta(days=2))})
    assert action.status_code in (303, 400)
    if action.status_code == 303:
        with app.app_context():
            newest = db.session.scalar(select(Action).order_by(Action.id.desc()))
            assert newest.description == clean_text(text)
    html = client_request.client.get(f"/patients/{patient.id}").get_data(as_text=True)
    _no_markup_from(text, html)
