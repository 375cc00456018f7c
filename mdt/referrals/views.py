"""Referrals to the meeting: refer a patient, my referrals, the chair's triage."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from mdt.audit import service as audit
from mdt.audit.reads import shows_patient_data
from mdt.auth.actor import Actor
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.forms import apply_errors, error_list, int_or_none
from mdt.loaders import load, register
from mdt.meetings.models import URGENCIES
from mdt.patients.listing import patient_choices
from mdt.referrals import queries
from mdt.referrals import service as referrals
from mdt.referrals.forms import AcceptForm, DeclineForm, MoreInfoForm, ReferralForm, WithdrawForm
from mdt.referrals.models import Referral
from mdt.teams.service import member_choices
from mdt.timeutil import format_date, london_today

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

register("referral_id", "referral", lambda actor, id_, _: queries.get_referral(actor, id_))


def _date_choices(actor, team_id, keep=None):
    """The team's meetings ahead, by date; a date chosen before is kept even if it went."""
    choices, seen = [("", "The next meeting")], set()
    for _, item in queries.meeting_options(actor, team_id, london_today()):
        day = queries.meeting_day(item)
        if day not in seen:
            seen.add(day)
            choices.append((day.isoformat(), queries.meeting_label(item)))
    if keep is not None and keep not in seen:
        choices.append((keep.isoformat(), format_date(keep)))
    return choices


def _prepare_form(actor, form, team_id, *, with_patients=True, keep_date=None):
    if with_patients:
        form.patient_id.choices = patient_choices(actor, team_id)
    form.presenter_id.choices = member_choices(team_id, "Not decided yet")
    form.preferred_date.choices = _date_choices(actor, team_id, keep_date)


def _team_for_new(actor: Actor) -> int:
    """The team to refer to: ?team_id=, else the patient's team among the actor's, else the
    actor's first team."""
    team_id = int_or_none(request.values.get("team_id"))
    if team_id is not None:
        if team_id not in actor.team_ids:
            abort(404)
        return team_id
    patient_id = int_or_none(request.values.get("patient_id"))
    if patient_id is not None:
        for candidate in actor.team_ids:
            if referrals.patient_on_team(candidate, patient_id) is not None:
                return candidate
        abort(404)
    return actor.team_ids[0]


def _service_values(form) -> dict:
    return {"question": form.question.data or "", "background": form.background.data or "",
            "tried": form.tried.data or "", "urgency": form.urgency.data,
            "presenter_id": form.presenter_id.data,
            "preferred_date": form.preferred_date.data}


@bp.route("/new", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("referral_page")
def new():
    actor = current_actor()
    team_id = _team_for_new(actor)
    form = ReferralForm()
    if not form.is_submitted() and request.args.get("patient_id"):
        form.patient_id.data = int_or_none(request.args.get("patient_id"))
    _prepare_form(actor, form, team_id)
    if form.is_submitted():
        try:
            referral = referrals.send_referral(actor, team_id=team_id,
                                               patient_id=form.patient_id.data,
                                               today=london_today(), **_service_values(form))
            db.session.commit()
        except referrals.ReferralError as exc:
            apply_errors(form, exc.errors)
        else:
            flash("Referral sent to the MDT chair")
            return redirect(url_for("referrals.show", referral_id=referral.id), code=303)
    status = 400 if form.errors or form.form_errors else 200
    teams = [t for t in actor.team_ids if t != team_id]
    return render_template("referrals/new.html", form=form, team_id=team_id,
                           other_team_ids=teams, errors=error_list(form)), status


@bp.get("")
@team_member_required
@shows_patient_data("referral_list")
def index():
    actor = current_actor()
    waiting, others, mine = queries.page_lists(actor)  # one query
    audit.record(user_id=actor.user_id, role="", team_id=actor.team_ids[0],
                 action="view", record_type="referral_list",
                 changes={"waiting": len(waiting), "others": len(others), "mine": len(mine)})
    db.session.commit()
    return render_template("referrals/index.html", waiting=waiting, others=others, mine=mine,
                           is_triager=bool(queries.chaired_team_ids(actor)),
                           urgencies=URGENCIES)


def _forms(row, accept=None, more=None, decline=None, withdraw=None):
    referral = row.referral
    forms = {"accept_form": accept or AcceptForm(formdata=None),
             "more_form": more or MoreInfoForm(formdata=None),
             "decline_form": decline or DeclineForm(formdata=None),
             "withdraw_form": withdraw or WithdrawForm(formdata=None)}
    for name, form in forms.items():
        prefix = name.split("_")[0]
        for field in form:
            if field.name != "csrf_token":
                field.id = f"{prefix}-{field.name}"
        form.version.data = referral.version  # errors are shown against the latest version
    return forms


def _page(actor, referral_id, status=200, **forms):
    row = queries.referral_row(actor, referral_id)
    if row is None:
        abort(404)
    referral = row.referral
    is_triager = actor.is_chair(referral.team_id)
    context = _forms(row, **forms)
    options = []
    if is_triager and referral.status in referrals.OPEN:
        options = queries.meeting_options(actor, referral.team_id, london_today())
        accept_form = context["accept_form"]
        accept_form.meeting.choices = [("", "Choose a meeting")] + [
            (value, queries.meeting_label(item)) for value, item in options]
        if accept_form.meeting.data in (None, ""):
            accept_form.meeting.data = _preselect(referral, options)
    errors = []
    for form in context.values():
        errors += error_list(form)
    return render_template(
        "referrals/show.html", row=row, referral=referral, patient=row.patient,
        history=queries.events(referral.id), is_triager=is_triager,
        is_referrer=referral.referrer_id == actor.user_id, has_meetings=bool(options),
        urgencies=URGENCIES,
        errors=errors, **context), status


def _preselect(referral, options) -> str:
    """The preferred meeting when it matches a date; "the next meeting" is the first."""
    if not options:
        return ""
    if referral.preferred_date is None:
        return options[0][0]
    for value, item in options:
        if queries.meeting_day(item) == referral.preferred_date:
            return value
    return ""


@bp.get("/<int:referral_id>")
@team_member_required
@shows_patient_data("referral")
@load("referral_id")
def show(referral_id: int, referral: Referral):
    actor = current_actor()
    audit.record(user_id=actor.user_id, role=actor.role(referral.team_id),
                 team_id=referral.team_id, action="view", record_type="referral",
                 record_id=referral.id)
    db.session.commit()
    return _page(actor, referral_id)


@bp.route("/<int:referral_id>/edit", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("referral_page")
@load("referral_id")
def edit(referral_id: int, referral: Referral):
    actor = current_actor()
    if referral.referrer_id != actor.user_id:
        abort(403)
    row = queries.referral_row(actor, referral_id)
    form = ReferralForm(obj=None if request.method == "POST" else referral)
    _prepare_form(actor, form, referral.team_id, with_patients=False,
                  keep_date=referral.preferred_date)
    if request.method == "GET":
        form.version.data = referral.version
        if referral.status not in referrals.OPEN:
            form.form_errors.append(f"This referral is {referral.status_label.lower()}: it "
                                    "cannot be changed")
    if form.is_submitted():
        was = referral.status
        try:
            referrals.update_and_resend(actor, referral, seen_version=int_or_none(
                form.version.data), today=london_today(), **_service_values(form))
            db.session.commit()
        except referrals.ReferralError as exc:
            audit.refused(actor, referral.team_id, action="change", record_type="referral",
                          record_id=referral_id, errors=exc.errors, attempted="edit")
            db.session.commit()  # the refusal is kept
            apply_errors(form, exc.errors)
            if "form" in exc.errors:  # stale: the page now shows their version's number
                form.version.data = db.session.get(Referral, referral_id).version
        else:
            flash("Referral sent again with more information" if was == "more_info"
                  else "Referral changed")
            return redirect(url_for("referrals.show", referral_id=referral_id), code=303)
    status = 400 if form.errors or form.form_errors else 200
    if request.method == "GET" and form.form_errors:
        status = 200
    return render_template("referrals/edit.html", form=form, row=row, referral=referral,
                           patient=row.patient, errors=error_list(form)), status


def _change(referral, form_class, key, call, done: str):
    """A state change from the referral page: POST-redirect-GET, or the page again with the
    error summary (status 400)."""
    actor, referral_id = current_actor(), referral.id
    form = form_class()
    try:
        call(actor, referral, form)
        db.session.commit()
    except referrals.ReferralError as exc:
        audit.refused(actor, referral.team_id, action="change", record_type="referral",
                      record_id=referral_id, errors=exc.errors, attempted=key)
        db.session.commit()  # the refusal is kept
        apply_errors(form, exc.errors)
        return _page(actor, referral_id, 400, **{key: form})
    flash(done)
    return redirect(url_for("referrals.show", referral_id=referral_id), code=303)


def _version(form):
    return int_or_none(form.version.data)


@bp.post("/<int:referral_id>/accept")
@team_member_required
@load("referral_id")
def accept(referral_id: int, referral: Referral):
    return _change(referral, AcceptForm, "accept", lambda actor, referral, form:
                   referrals.accept(actor, referral, choice=form.meeting.data,
                                    message=form.message.data or "",
                                    seen_version=_version(form), today=london_today()),
                   "Referral accepted onto the case list")


@bp.post("/<int:referral_id>/more-information")
@team_member_required
@load("referral_id")
def ask_for_more(referral_id: int, referral: Referral):
    return _change(referral, MoreInfoForm, "more", lambda actor, referral, form:
                   referrals.ask_for_more(actor, referral, message=form.message.data,
                                          seen_version=_version(form)),
                   "Referral sent back asking for more information")


@bp.post("/<int:referral_id>/decline")
@team_member_required
@load("referral_id")
def decline(referral_id: int, referral: Referral):
    return _change(referral, DeclineForm, "decline", lambda actor, referral, form:
                   referrals.decline(actor, referral, reason=form.reason.data,
                                     seen_version=_version(form)),
                   "Referral declined")


@bp.post("/<int:referral_id>/withdraw")
@team_member_required
@load("referral_id")
def withdraw(referral_id: int, referral: Referral):
    return _change(referral, WithdrawForm, "withdraw", lambda actor, referral, form:
                   referrals.withdraw(actor, referral, seen_version=_version(form)),
                   "Referral withdrawn")
