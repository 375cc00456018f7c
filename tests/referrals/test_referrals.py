"""Referrals to the meeting: refer, triage (accept, ask for more, decline), withdraw."""

from datetime import time, timedelta

from flask import render_template
from sqlalchemy import func, select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.meetings import cases as case_service
from mdt.meetings.models import Case, Meeting
from mdt.meetings.service import MeetingDetails, create_series
from mdt.notifications.models import Notification
from mdt.referrals import queries
from mdt.referrals.models import Referral, ReferralEvent
from mdt.timeutil import london_today
from tests.conftest import ClientRequest, count_queries
from tests.referrals.conftest import FUTURE, chair_actor, team_id

GOOD = {"question": "Should we start a syringe driver, or can we manage her pain orally?",
        "background": "Pancreatic cancer; pain worse this week.", "tried": "Oramorph PRN.",
        "urgency": "urgent", "preferred_date": ""}


def _refer(client, patient, status=303, **changes):
    return client.post("referrals.new", _data={"patient_id": patient.id, "presenter_id": "",
                                               **GOOD, **changes}, _expected_status=status)


def _only_referral(app):
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        db.session.expunge(referral)
        return referral


def _version(client, referral_id, form_id="accept-form"):
    page = client.get("referrals.show", referral_id=referral_id)
    return page.select_one(f"#{form_id} input[name=version]")["value"]


def _signed_in(app, user):
    return ClientRequest(app).sign_in(user)


def test_refer_triage_more_information_resend_and_accept(app, client_request, team, meeting):
    nurse, patient = client_request.sign_in(team.nurse), team.patients[0]
    page = nurse.get("referrals.new", patient_id=patient.id)
    chosen = page.select_one("select[name=patient_id] option[selected]")
    assert chosen.get_text() == f"Ellis, Margaret ({patient.nhs_number[:3]} " \
                                f"{patient.nhs_number[3:6]} {patient.nhs_number[6:]})"
    assert [o.get_text() for o in page.select("select[name=preferred_date] option")][0] == \
        "The next meeting"
    page = _refer(nurse, patient, presenter_id=team.gp.id,
                  preferred_date=FUTURE.isoformat())
    referral = _only_referral(app)
    assert page.response.headers["Location"].endswith(f"/referrals/{referral.id}")
    assert (referral.status, referral.urgency, referral.presenter_id) == ("sent", "urgent",
                                                                          team.gp.id)

    chair = _signed_in(app, team.chair)
    triage = chair.get("referrals.index")
    waiting = triage.select_one("#triage + table")
    assert "Ellis, Margaret" in waiting.get_text() and "Priya Patel" in waiting.get_text()
    version = _version(chair, referral.id)
    chair.post("referrals.ask_for_more", referral_id=referral.id,
               _data={"message": "Which dose is she on now?", "version": version})

    mine = nurse.get("referrals.index").select_one("#mine + table").get_text(" ", strip=True)
    assert "More information asked for" in mine and "Which dose is she on now?" in mine
    edit = nurse.get("referrals.edit", referral_id=referral.id)
    assert "Which dose is she on now?" in edit.select_one("#chair-message").get_text()
    assert edit.select_one("textarea[name=background]").get_text() == GOOD["background"]
    nurse.post("referrals.edit", referral_id=referral.id, _data={
        **GOOD, "background": GOOD["background"] + " Oramorph 10 mg 4-hourly.",
        "presenter_id": team.gp.id, "preferred_date": FUTURE.isoformat(),
        "version": edit.select_one("input[name=version]")["value"]})
    assert _only_referral(app).status == "sent"

    page = chair.get("referrals.show", referral_id=referral.id)
    selected = page.select_one("#accept-form select[name=meeting] option[selected]")
    assert selected["value"] == f"m{meeting.id}"  # the preferred meeting, preselected
    chair.post("referrals.accept", referral_id=referral.id, _data={
        "meeting": selected["value"], "version": _version(chair, referral.id)})

    with app.app_context():
        accepted = db.session.get(Referral, referral.id)
        case = db.session.get(Case, accepted.case_id)
        assert (accepted.status, accepted.meeting_id) == ("accepted", meeting.id)
        assert (case.meeting_id, case.patient_id, case.reason, case.urgency, case.presenter_id,
                case.referred_by) == (meeting.id, patient.id, GOOD["question"], "urgent",
                                      team.gp.id, "Priya Patel")
        kinds = list(db.session.scalars(select(ReferralEvent.kind).order_by(ReferralEvent.id)))
        assert kinds == ["sent", "more_info", "resent", "accepted"]
        told = {(n.user_id, n.text) for n in db.session.scalars(select(Notification))}
        assert (team.chair.id, "New referral to the MDT (urgent): waiting for triage") in told
        assert sum(1 for user_id, _ in told if user_id == team.nurse.id) == 2
        assert all(n.link == f"/referrals/{referral.id}"
                   for n in db.session.scalars(select(Notification)))
    mine = nurse.get("referrals.index").select_one("#mine + table").get_text(" ", strip=True)
    assert "Accepted" in mine and "Riverside MDT" in mine
    page = nurse.get("referrals.show", referral_id=referral.id)
    assert page.select_one(f"a[href$='/meetings/{meeting.id}']") is not None
    assert "Sent again with more information" in page.select_one("#referral-history").get_text()
    listed = chair.get("meetings.show", meeting_id=meeting.id).select("li.case-row")
    assert len(listed) == 1 and "Margaret" in listed[0].get_text()


def test_a_referral_without_the_question_is_refused_and_nothing_is_lost(app, client_request,
                                                                        team):
    client_request.sign_in(team.nurse)
    page = _refer(client_request, team.patients[0], status=400, question="   ")
    summary = page.select_one(".nhsuk-error-summary")
    assert "Enter the question for the MDT" in summary.get_text()
    assert summary.select_one("a")["href"] == "#question"
    assert page.select_one("textarea[name=background]").get_text() == GOOD["background"]
    assert page.select_one("textarea[name=tried]").get_text() == GOOD["tried"]
    assert page.select_one("input[name=urgency][value=urgent]").has_attr("checked")
    assert page.title.string.startswith("Error:")
    with app.app_context():
        assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_oversized_text_forged_presenter_and_junk_date_are_refused(app, client_request, team):
    client_request.sign_in(team.nurse)
    page = _refer(client_request, team.patients[0], status=400, tried="x" * 2001,
                  presenter_id=team.outsider.id, preferred_date="not-a-date")
    text = page.select_one(".nhsuk-error-summary").get_text()
    assert "What has been tried must be 2000 characters or fewer" in text
    assert "Choose who will present from the team" in text
    assert "Choose a meeting from the list" in text
    _refer(client_request, team.patients[0], status=400,
           preferred_date=(london_today() - timedelta(days=3)).isoformat())
    _refer(client_request, team.theirs, status=404)  # another team's patient
    with app.app_context():
        assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_a_double_submit_sends_one_referral(app, client_request, team):
    client_request.sign_in(team.nurse)
    first = _refer(client_request, team.patients[0])
    second = _refer(client_request, team.patients[0])
    assert first.response.headers["Location"] == second.response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Referral.id))) == 1
    page = _refer(client_request, team.patients[0], status=400, question="Something else?")
    assert "already referred this patient" in page.select_one(".nhsuk-error-summary").get_text()


def test_decline_needs_a_reason_and_the_referrer_sees_it(app, client_request, team, meeting):
    _refer(client_request.sign_in(team.nurse), team.patients[0])
    referral = _only_referral(app)
    chair = _signed_in(app, team.chair)
    version = _version(chair, referral.id)
    page = chair.post("referrals.decline", referral_id=referral.id,
                      _data={"reason": "", "version": version}, _expected_status=400)
    assert "Enter the reason for declining the referral" in page.select_one(
        ".nhsuk-error-summary").get_text()
    assert page.select_one(".nhsuk-error-summary a")["href"] == "#decline-reason"
    chair.post("referrals.decline", referral_id=referral.id, _data={
        "reason": "The palliative team is already seeing her tomorrow", "version": version})
    assert _only_referral(app).status == "declined"
    page = client_request.get("referrals.show", referral_id=referral.id)
    assert "already seeing her tomorrow" in page.select_one("#chair-message").get_text()
    assert page.select_one("#accept-form") is None
    # Declined: no more triage, and the referrer can no longer change or withdraw it.
    chair.post("referrals.accept", referral_id=referral.id, _data={
        "meeting": f"m{meeting.id}", "version": _only_referral(app).version},
        _expected_status=400)
    client_request.post("referrals.withdraw", referral_id=referral.id,
                        _data={"version": _only_referral(app).version}, _expected_status=400)


def test_another_teams_referral_is_404_for_view_and_every_post(app, client_request, team,
                                                               meeting):
    _refer(client_request.sign_in(team.nurse), team.patients[0])
    referral = _only_referral(app)
    outsider = _signed_in(app, team.outsider)
    for endpoint in ("referrals.show", "referrals.edit"):
        outsider.get(endpoint, referral_id=referral.id, _expected_status=404)
    data = {"version": referral.version, "meeting": f"m{meeting.id}", "message": "More?",
            "reason": "No", **GOOD}
    for endpoint in ("referrals.accept", "referrals.ask_for_more", "referrals.decline",
                     "referrals.withdraw", "referrals.edit"):
        outsider.post(endpoint, referral_id=referral.id, _data=data, _expected_status=404)
    outsider.get("referrals.show", referral_id=999999, _expected_status=404)
    assert _only_referral(app).status == "sent"
    text = outsider.get("referrals.index").get_text()
    assert "Ellis" not in text


def test_members_who_are_not_chairs_cannot_triage(app, client_request, team, meeting):
    _refer(client_request.sign_in(team.nurse), team.patients[0])
    referral = _only_referral(app)
    gp = _signed_in(app, team.gp)
    page = gp.get("referrals.show", referral_id=referral.id)  # any member may read it
    assert page.select_one("#accept-form") is None
    data = {"version": referral.version, "meeting": f"m{meeting.id}", "message": "More?",
            "reason": "No"}
    for endpoint in ("referrals.accept", "referrals.ask_for_more", "referrals.decline"):
        gp.post(endpoint, referral_id=referral.id, _data=data, _expected_status=403)
    # Nor can anyone but the referrer change or withdraw it, chairs included.
    gp.post("referrals.withdraw", referral_id=referral.id, _data=data, _expected_status=403)
    gp.get("referrals.edit", referral_id=referral.id, _expected_status=403)
    _signed_in(app, team.chair).post("referrals.withdraw", referral_id=referral.id,
                                     _data=data, _expected_status=403)
    assert _only_referral(app).status == "sent"
    # A member sees no triage list.
    assert gp.get("referrals.index").select_one("#triage") is None


def test_two_chairs_triaging_at_once_the_second_is_refused(app, client_request, team, meeting):
    _refer(client_request.sign_in(team.nurse), team.patients[0])
    referral = _only_referral(app)
    first, second = _signed_in(app, team.chair), _signed_in(app, team.second_chair)
    seen_by_second = _version(second, referral.id)
    first.post("referrals.ask_for_more", referral_id=referral.id, _data={
        "message": "What does she want?", "version": _version(first, referral.id)})
    page = second.post("referrals.accept", referral_id=referral.id, _data={
        "meeting": f"m{meeting.id}", "version": seen_by_second}, _expected_status=400)
    assert "Someone else changed this referral" in page.select_one(
        ".nhsuk-error-summary").get_text()
    assert "More information asked for" in page.select_one("#referral-history").get_text()
    with app.app_context():
        assert db.session.get(Referral, referral.id).status == "more_info"
        assert db.session.scalar(select(func.count(Case.id))) == 0
    # A double submit of the accept: the second is refused, one case.
    version = _version(second, referral.id)
    second.post("referrals.accept", referral_id=referral.id,
                _data={"meeting": f"m{meeting.id}", "version": version})
    page = second.post("referrals.accept", referral_id=referral.id,
                       _data={"meeting": f"m{meeting.id}", "version": version},
                       _expected_status=400)
    assert "accepted already" in page.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        assert db.session.scalar(select(func.count(Case.id))) == 1


def test_a_patient_already_on_the_list_is_a_clear_error_and_the_referral_stays_sent(
        app, client_request, team, meeting):
    patient = team.patients[0]
    _refer(client_request.sign_in(team.nurse), patient)
    referral = _only_referral(app)
    with app.app_context():
        case_service.add_case(chair_actor(team), db.session.get(Meeting, meeting.id),
                              patient_id=patient.id, reason="Already listed", urgency="soon",
                              presenter_id=None, referred_by="")
        db.session.commit()
    chair = _signed_in(app, team.chair)
    page = chair.post("referrals.accept", referral_id=referral.id, _data={
        "meeting": f"m{meeting.id}", "version": _version(chair, referral.id)},
        _expected_status=400)
    summary = page.select_one(".nhsuk-error-summary")
    assert "Margaret Ellis is already on this case list" in summary.get_text()
    assert summary.select_one("a")["href"] == "#accept-meeting"
    with app.app_context():
        kept = db.session.get(Referral, referral.id)
        assert (kept.status, kept.case_id, kept.meeting_id) == ("sent", None, None)
        assert db.session.scalar(select(func.count(Case.id))) == 1
        assert list(db.session.scalars(select(ReferralEvent.kind))) == ["sent"]
    page = chair.post("referrals.accept", referral_id=referral.id, _data={
        "meeting": "m999999", "version": _version(chair, referral.id)}, _expected_status=400)
    assert "Choose a meeting" in page.select_one(".nhsuk-error-summary").get_text()


def test_accepting_onto_a_series_date_not_yet_opened_opens_it(app, client_request, team):
    with app.app_context():
        series = create_series(chair_actor(team), team_id(), MeetingDetails(
            title="Monthly MDT", day=london_today() + timedelta(days=1), start=time(12, 30),
            end=time(14, 0), chair_id=team.chair.id), "FREQ=MONTHLY;BYDAY=+2TU")
        db.session.commit()
        series_id = series.id
    _refer(client_request.sign_in(team.nurse), team.patients[1], urgency="soon")
    referral = _only_referral(app)
    chair = _signed_in(app, team.chair)
    page = chair.get("referrals.show", referral_id=referral.id)
    options = [o["value"] for o in page.select("#accept-form select[name=meeting] option")]
    assert options[0] == "" and all(v.startswith(f"s{series_id}-") for v in options[1:])
    assert page.select_one("#accept-form option[selected]")["value"] == options[1]  # next
    chair.post("referrals.accept", referral_id=referral.id, _data={
        "meeting": options[2], "version": _version(chair, referral.id)})
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.series_id == series_id
        assert meeting.occurrence_date.isoformat() == options[2].split("-", 1)[1]
        case = db.session.scalar(select(Case))
        assert (case.meeting_id, case.urgency) == (meeting.id, "soon")
        assert db.session.get(Referral, referral.id).case_id == case.id


def test_withdraw_by_the_referrer(app, client_request, team, meeting):
    _refer(client_request.sign_in(team.nurse), team.patients[0])
    referral = _only_referral(app)
    version = client_request.get("referrals.show", referral_id=referral.id).select_one(
        "form[action$='/withdraw'] input[name=version]")["value"]
    client_request.post("referrals.withdraw", referral_id=referral.id,
                        _data={"version": version})
    assert _only_referral(app).status == "withdrawn"
    chair = _signed_in(app, team.chair)
    assert chair.get("referrals.show", referral_id=referral.id).select_one(
        "#accept-form") is None


def test_views_and_changes_are_audited(app, client_request, team, meeting):
    _refer(client_request.sign_in(team.nurse), team.patients[0])
    referral = _only_referral(app)
    chair = _signed_in(app, team.chair)
    chair.post("referrals.decline", referral_id=referral.id,
               _data={"reason": "", "version": _version(chair, referral.id)},
               _expected_status=400)
    chair.post("referrals.decline", referral_id=referral.id,
               _data={"reason": "Not for the MDT", "version": _version(chair, referral.id)})
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.user_id, AuditEvent.action,
                                         AuditEvent.outcome, AuditEvent.changes).where(
            AuditEvent.record_type == "referral", AuditEvent.record_id == referral.id)
            .order_by(AuditEvent.id)).all()
    summary = [(user_id, action, outcome) for user_id, action, outcome, _ in rows]
    assert (team.nurse.id, "create", "ok") in summary
    assert (team.chair.id, "view", "ok") in summary
    assert (team.chair.id, "change", "refused") in summary
    changes = [c for _, action, outcome, c in rows if action == "change" and outcome == "ok"]
    assert changes == [{"status": ["sent", "declined"]}]
    assert all("Not for the MDT" not in str(c) for _, _, _, c in rows)


def _bulk(app, team, count):
    with app.app_context():
        tid = team_id()
        db.session.add_all([Referral(
            team_id=tid, patient_id=team.patients[i % 2].id,
            referrer_id=(team.nurse.id if i % 2 else team.chair.id), question=f"Question {i}",
            urgency=("urgent", "soon", "routine")[i % 3], presenter_id=team.gp.id,
            status=("sent", "more_info", "accepted", "declined")[i % 4])
            for i in range(count)])
        db.session.commit()


def _queries(app, client, endpoint):
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as statements:
        client.get(endpoint)
    return len(statements)


def test_the_lists_take_the_same_number_of_queries_at_10_and_500(app, client_request, team):
    nurse = client_request.sign_in(team.nurse)
    chair = _signed_in(app, team.chair)
    _bulk(app, team, 10)
    few = (_queries(app, chair, "referrals.index"), _queries(app, nurse, "referrals.index"))
    _bulk(app, team, 490)
    many = (_queries(app, chair, "referrals.index"), _queries(app, nurse, "referrals.index"))
    assert few == many
    page = chair.get("referrals.index")
    assert len(page.select("#triage + table tr.referral-row")) == 3 + 123
    assert len(page.select("#mine + table tr.referral-row")) == 200


def test_referrals_for_cases_and_the_fragment_for_the_live_meeting(app, client_request, team,
                                                                    meeting):
    _refer(client_request.sign_in(team.nurse), team.patients[0])
    referral = _only_referral(app)
    chair = _signed_in(app, team.chair)
    chair.post("referrals.accept", referral_id=referral.id, _data={
        "meeting": f"m{meeting.id}", "version": _version(chair, referral.id)})
    with app.test_request_context():
        case_id = db.session.get(Referral, referral.id).case_id
        with count_queries(db.engine) as statements:
            found = queries.referrals_for_cases([case_id, 999999])
        assert len(statements) == 1 and list(found) == [case_id]
        html = render_template("referrals/_on_case.html", referral=found[case_id],
                               referrer_name="Priya Patel")
        assert queries.referrals_for_cases([]) == {}
    assert GOOD["question"] in html and GOOD["background"] in html
    assert GOOD["tried"] in html and "Referred by Priya Patel" in html
