"""Outcome letters for GP practices: the list ("3 outcome letters ready"), each letter as a
printable page and a PDF, one PDF per practice per meeting, and "filed"."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.letters import queries, service
from mdt.letters.content import practice_key
from mdt.letters.models import OutcomeLetter
from mdt.loaders import load, register
from mdt.meetings.models import Meeting
from mdt.pdf import render_pdf

bp = Blueprint("letters", __name__, url_prefix="/letters")

register("letter_id", "letter", lambda actor, id_, _: queries.get_letter(actor, id_))


def _pdf_response(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    # No patient name in the file name (it shows in download lists and logs).
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@team_member_required
@shows_patient_data("outcome_letters")
def index():
    actor = current_actor()
    organisation = current_user.organisation or ""
    rows = queries.listing(actor, organisation, only_mine=False)
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row.meeting, row.letter.practice), []).append(row)
    ready = sum(1 for row in rows if row.mine and row.letter.filed_at is None)
    return render_template("letters/index.html", groups=groups, ready=ready,
                           organisation=organisation, practice_key=practice_key)


@bp.get("/<int:letter_id>")
@team_member_required
@shows_patient_data("outcome_letter")
@load("letter_id")
def show(letter_id: int, letter: OutcomeLetter):
    record = letter
    actor = current_actor()
    letters = queries.contents([record])
    can_file = service.is_practice_member(current_user.organisation or "", record) or \
        actor.is_chair(record.team_id)
    return render_template("letters/document.html", letters=letters, record=record, pdf=False,
                           can_file=can_file, title=f"Outcome letter {record.id}")


@bp.get("/<int:letter_id>.pdf")
@team_member_required
@shows_patient_data("outcome_letter_pdf")
@load("letter_id")
def pdf(letter_id: int, letter: OutcomeLetter):
    record = letter
    letters = queries.contents([record])
    html = render_template("letters/document.html", letters=letters, pdf=True,
                           title="Outcome letter")
    body = render_pdf(html)
    service.record_download(current_actor(), [record], "pdf")
    db.session.commit()
    return _pdf_response(body, f"mdt-outcome-letter-{record.id}.pdf")


@bp.get("/meetings/<int:meeting_id>.pdf")
@team_member_required
@shows_patient_data("outcome_letters_pdf")
@load("meeting_id")
def practice_pdf(meeting_id: int, meeting: Meeting):
    """Every letter of one meeting for one practice (?practice=..., else the reader's own),
    in one PDF for the practice's document workflow."""
    practice = request.args.get("practice", current_user.organisation or "")[:120]
    records = queries.meeting_letters(current_actor(), meeting_id, practice)
    if not records:
        abort(404)
    letters = sorted(queries.contents(records), key=lambda x: x.patient_name.split()[-1])
    html = render_template("letters/document.html", letters=letters, pdf=True,
                           title="Outcome letters")
    body = render_pdf(html)
    service.record_download(current_actor(), records, "practice_pdf")
    db.session.commit()
    return _pdf_response(body, f"mdt-outcome-letters-meeting-{meeting_id}.pdf")


@bp.post("/<int:letter_id>/filed")
@team_member_required
@load("letter_id")
def filed(letter_id: int, letter: OutcomeLetter):
    record = letter
    try:
        changed = service.mark_filed(current_actor(), current_user.organisation or "", record)
    except service.LetterRefused:
        abort(403)
    db.session.commit()
    flash("Marked as filed in the GP record" if changed else "This letter was already filed")
    return redirect(request.form.get("next") == "index" and url_for("letters.index") or
                    url_for("letters.show", letter_id=letter_id), code=303)



