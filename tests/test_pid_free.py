"""Issue 19: nothing identifying leaves by email or calendar. The demo is loaded, a visit is
cancelled with a reason that names the patient, every reminder due over the next two weeks
is planned and built into its real email, and every calendar artefact (invitations, series,
personal and team feeds) is fetched; none holds a demo patient's name or NHS number."""

from datetime import time, timedelta
from email import message_from_bytes

from sqlalchemy import select

from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.timeutil import london_to_utc, london_today
from tests.conftest import ClientRequest

PASSWORD = "demo-password-2026"


def _secrets(patients, users) -> list[str]:
    user_words = {word for user in users for word in user.name.split()}
    found = []
    for patient in patients:
        found += [patient.full_name, patient.nhs_number,
                  f"{patient.nhs_number[:3]} {patient.nhs_number[3:6]} {patient.nhs_number[6:]}"]
        if patient.family_name not in user_words:  # Dr Alys Hughes is a GP, not a patient
            found.append(patient.family_name)
    return found


def _readable(message) -> str:
    """Headers and every part decoded (the bodies are base64 on the wire)."""
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        body = part.get_payload(decode=True)
        if body:
            parts.append(body.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_no_email_or_calendar_artefact_names_a_patient(app):
    from mdt.calendar import invitations, service
    from mdt.demo import load_demo
    from mdt.meetings.models import Meeting, MeetingSeries
    from mdt.patients.models import Patient
    from mdt.reminders import jobs
    from mdt.reminders.jobs import _prepare
    from mdt.reminders.models import Reminder
    from mdt.visits.models import Visit
    from mdt.visits.service import cancel_visit

    today = london_today()
    with app.app_context():
        load_demo(PASSWORD)
        db.session.commit()
        chair = db.session.scalar(select(User).where(User.email == "chair@example.nhs.uk"))
        visit = db.session.scalar(select(Visit).where(  # someone else's: she is told
            Visit.status == "planned", Visit.day >= today, Visit.professional_id != chair.id))
        patient = db.session.get(Patient, visit.patient_id)
        cancel_visit(Actor(chair.id, (visit.team_id,), {visit.team_id: "chair"}), visit,
                     f"{patient.full_name} admitted to RVH")
        db.session.commit()
        for day in range(15):  # every reminder due in the next two weeks
            for clock in (time(8, 5), time(18, 5)):
                jobs.plan_pass(now=london_to_utc(today + timedelta(days=day), clock))
        artefacts = []
        cache = {}
        rows = db.session.scalars(select(Reminder)).all()
        assert {"visit_notice", "visits_tomorrow", "meeting_reminder"} <= {r.kind for r in rows}
        for row in rows:
            message = _prepare(row, set(), cache, app.config)
            if not isinstance(message, tuple):  # the bytes that go on the wire
                artefacts.append((f"email {row.kind}",
                                  _readable(message_from_bytes(message.content))))
        for meeting in db.session.scalars(select(Meeting)):
            built = invitations.meeting_invitation(meeting, "https://mdt.example.nhs.uk")
            artefacts.append((f"invite {meeting.id}", built.ics.decode()))
        for series in db.session.scalars(select(MeetingSeries)):
            built = invitations.series_invitation(series, "https://mdt.example.nhs.uk")
            artefacts.append((f"series {series.id}", built.ics.decode()))
        users = db.session.scalars(select(User)).all()
        tokens = [("calendar.personal_feed", service.issue(user.id)) for user in users]
        tokens += [("calendar.team_feed", service.issue(chair.id, team_id, role="chair"))
                   for team_id in {visit.team_id}]
        db.session.commit()
        secrets = _secrets(db.session.scalars(select(Patient)).all(), users)
    client = ClientRequest(app)
    for endpoint, token in tokens:
        response = client.client.get(client.url(endpoint, token=token))
        assert response.status_code == 200
        artefacts.append((endpoint, response.get_data(as_text=True)))
    assert any("BEGIN:VEVENT" in text for _, text in artefacts)
    leaks = [(name, secret) for name, text in artefacts for secret in secrets
             if secret in text]
    print(f"PID scan: {len(artefacts)} emails and calendar artefacts, {len(secrets)} "
          f"identifiers, {len(leaks)} found")
    assert leaks == []
