"""Outcome letters: made when a meeting finishes, for each patient discussed; the practice
told in the app; the practice PDF holds its own patients' letters and no one else's."""

import io
import time

from pypdf import PdfReader
from sqlalchemy import select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.letters.content import Letter, by_practice, practice_key
from mdt.letters.models import OutcomeLetter
from mdt.notifications.models import Notification
from tests.conftest import ClientRequest
from tests.letters.conftest import BRIDGE, RIVERSIDE


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def _letters(app):
    with app.app_context():
        return {x.patient_id: x for x in db.session.scalars(select(OutcomeLetter))}


def test_practice_key_and_grouping():
    assert practice_key("  Riverside  MEDICAL practice ") == "riverside medical practice"
    letters = [Letter(letter_id=n, team_name="t", meeting_title="m", meeting_day=None,
                      practice=p, usual_gp="", patient_name=name, nhs_number="", date_of_birth=None,
                      address="", postcode="", question="", summary="", outcome="",
                      decisions="") for n, (p, name) in enumerate(
        [("B", "Ann Young"), ("A", "Bob Zed"), ("A", "Cat Able")])]
    grouped = by_practice(letters)
    assert list(grouped) == ["A", "B"]
    assert [x.patient_name for x in grouped["A"]] == ["Cat Able", "Bob Zed"]


def test_finishing_a_meeting_makes_a_letter_for_each_patient_discussed(app, finished):
    letters = _letters(app)
    ours = finished.ours
    assert set(letters) == {ours["joan"].id, ours["harold"].id, ours["zoe"].id}
    assert letters[ours["joan"].id].practice == RIVERSIDE
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(
            Notification.kind == "letters")).all()
        by_user = {n.user_id: n.text for n in notes}
        assert set(by_user) == {finished.gp.id, finished.khan.id}  # not the other team's GP
        assert by_user[finished.gp.id].startswith("2 outcome letters ready")
        assert "Pemberton" not in by_user[finished.gp.id]  # no patient named in a notice


def test_the_front_door_says_how_many_letters_are_ready(app, finished):
    gp = ClientRequest(app).sign_in(finished.gp)
    page = gp.get("home.index")
    assert "2 outcome letters ready" in page.select_one("#letters-ready").text
    nurse = ClientRequest(app).sign_in(finished.nurse)
    assert nurse.get("home.index").select_one("#letters-ready") is None


def test_the_practice_pdf_holds_every_letter_of_its_patients_and_no_one_elses(app, finished):
    """Hazard H24: a letter filed against the wrong patient."""
    gp = ClientRequest(app).sign_in(finished.gp)
    began = time.perf_counter()
    response = gp.client.get(f"/letters/meetings/{finished.meeting_id}.pdf")
    spent = time.perf_counter() - began
    text, pages = _text(response)
    for present in ("Joan Pemberton", "Harold Fenwick"):
        assert present in text
    for absent in ("Castellano", "Ridgeway", "Lindqvist"):
        assert absent not in text
    assert "999" not in response.headers["Content-Disposition"]
    assert "Pemberton" not in response.headers["Content-Disposition"]
    # Each letter starts on its own page, its patient's NHS number on every page.
    reader = PdfReader(io.BytesIO(response.get_data()))
    joan = finished.ours["joan"].nhs_number
    joan_pages = [p.extract_text() for p in reader.pages if "Joan Pemberton" in p.extract_text()]
    assert joan_pages and all(f"{joan[:3]} {joan[3:6]} {joan[6:]}" in p for p in joan_pages)
    assert not any("Harold Fenwick" in p for p in joan_pages)
    print(f"practice PDF: {pages} pages in {spent:.2f} s, {spent / pages:.2f} s per page")
    other = ClientRequest(app).sign_in(finished.khan)
    text, _ = _text(other.client.get(f"/letters/meetings/{finished.meeting_id}.pdf"))
    assert "Castellano" in text and "Pemberton" not in text and "Fenwick" not in text
    chair = ClientRequest(app).sign_in(finished.chair)
    text, _ = _text(chair.client.get(f"/letters/meetings/{finished.meeting_id}.pdf",
                                     query_string={"practice": BRIDGE}))
    assert "Castellano" in text and "Pemberton" not in text
    outsider = ClientRequest(app).sign_in(finished.outsider)  # same practice, other team
    assert outsider.client.get(f"/letters/meetings/{finished.meeting_id}.pdf").status_code == 404


def test_a_letter_says_what_was_decided_who_does_what_and_whom_to_call(app, finished):
    letter = _letters(app)[finished.ours["joan"].id]
    gp = ClientRequest(app).sign_in(finished.gp)
    page = gp.get("letters.show", letter_id=letter.id)
    text = page.text
    for expected in ("Dear Dr Alys Hughes", "Mrs Joan Pemberton", "Question about Joan",
                     "Discussed joan's pain", "Outcome for joan", "Refer to hospice",
                     "Order a pressure mattress", "Priya Patel", "01632 960222",
                     "Next review", "Grace Okafor"):
        assert expected in text, expected
    pdf_text, _ = _text(gp.client.get(f"/letters/{letter.id}.pdf"))
    assert "Order a pressure mattress" in pdf_text and "Priya Patel" in pdf_text


def test_downloads_are_audited_and_the_practice_marks_a_letter_filed(app, finished):
    letter = _letters(app)[finished.ours["joan"].id]
    gp = ClientRequest(app).sign_in(finished.gp)
    gp.client.get(f"/letters/{letter.id}.pdf")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "export", AuditEvent.record_type == "outcome_letter"))
        assert (event.user_id, event.record_id, event.patient_id) == \
            (finished.gp.id, letter.id, finished.ours["joan"].id)
        assert db.session.get(OutcomeLetter, letter.id).first_downloaded_by_id == finished.gp.id
    khan = ClientRequest(app).sign_in(finished.khan)  # not Joan's practice
    khan.post("letters.filed", letter_id=letter.id, _expected_status=403)
    gp.post("letters.filed", letter_id=letter.id)
    with app.app_context():
        assert db.session.get(OutcomeLetter, letter.id).filed_by_id == finished.gp.id
    page = gp.get("home.index")
    assert "1 outcome letter ready" in page.select_one("#letters-ready").text
    index = gp.get("letters.index")
    assert "1 outcome letter ready" in index.text


def test_another_teams_member_cannot_reach_a_letter(app, finished):
    letter = _letters(app)[finished.ours["joan"].id]
    outsider = ClientRequest(app).sign_in(finished.outsider)
    outsider.get("letters.show", letter_id=letter.id, _expected_status=404)
    assert outsider.client.get(f"/letters/{letter.id}.pdf").status_code == 404
    outsider.post("letters.filed", letter_id=letter.id, _expected_status=404)


def test_finishing_twice_makes_no_second_letter(app, finished):
    from mdt.auth.actor import Actor
    from mdt.letters.service import prepare_letters
    from mdt.meetings.models import Meeting

    with app.app_context():
        actor = Actor(finished.chair.id, (finished.team_id,), {finished.team_id: "chair"})
        assert prepare_letters(actor, db.session.get(Meeting, finished.meeting_id)) == []
        db.session.commit()
    assert len(_letters(app)) == 3


def test_letters_are_never_emailed(app, finished):
    """The practice is told in the app only: the reminder planner makes no email of it."""
    from mdt.reminders import jobs
    from mdt.reminders.models import Reminder

    with app.app_context():
        jobs.plan_pass()
        reminders = db.session.scalars(select(Reminder)).all()
        recipients = {r.recipient for r in reminders if r.kind == "visit_notice"}
        assert finished.gp.email not in recipients and finished.khan.email not in recipients
        assert not [r for r in reminders if "letter" in str(getattr(r, "payload", "")).lower()]


def test_undoing_a_finish_takes_its_letters_back_unless_a_practice_had_one(app, finished):
    """Finishing undone within ten minutes: the letters it made go (finishing again makes
    them again); once a practice has downloaded one, the finish can no longer be undone."""
    from sqlalchemy import func, select

    from mdt.letters.models import OutcomeLetter
    from mdt.meetings.models import Meeting
    chair = ClientRequest(app).sign_in(finished.chair)
    with app.app_context():
        meeting_id = db.session.scalar(select(OutcomeLetter.meeting_id))
        count = db.session.scalar(select(func.count(OutcomeLetter.id)))
    chair.post("meetings.undo_finish", meeting_id=meeting_id)
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == "in_progress"
        assert db.session.scalar(select(func.count(OutcomeLetter.id))) == 0
    chair.post("meetings.finish", meeting_id=meeting_id)
    with app.app_context():
        assert db.session.scalar(select(func.count(OutcomeLetter.id))) == count
        letter = db.session.scalar(select(OutcomeLetter))
        letter.first_downloaded_at = letter.created_at
        db.session.commit()
    chair.post("meetings.undo_finish", meeting_id=meeting_id)
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == "finished"
        assert db.session.scalar(select(func.count(OutcomeLetter.id))) == count
