"""Reminders' pages: my notifications, the admin page (outbox by status, retry, queue
health), the development outbox, a team's reminder settings and unsubscribing."""

from email import message_from_string, policy

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from mdt.auth.scope import current_actor
from mdt.extensions import db
from mdt.loaders import load, not_team_scoped, register
from mdt.queue import redis_connection
from mdt.reminders import queries, service, tokens
from mdt.reminders.forms import ConfirmForm, TeamRemindersForm
from mdt.reminders.health import queue_health
from mdt.reminders.kinds import KIND_LABELS, STATUSES, TOPICS
from mdt.reminders.models import Reminder
from mdt.teams.models import Team

bp = Blueprint("reminders", __name__)



def own_sent_message(actor, reminder_id, loaded):
    """The development outbox (no SMTP_URL): a sent message of one's own, or any for an
    admin."""
    if current_app.config.get("SMTP_URL"):
        return None
    row = db.session.get(Reminder, reminder_id)
    if row is None or row.message is None or (
            not current_user.is_admin and row.recipient != current_user.email.lower()):
        return None
    return row


# The outbox (admins): any reminder.
register("reminder_id", "reminder", lambda actor, id_, _: db.session.get(Reminder, id_),
         team_of=not_team_scoped)


@bp.app_context_processor
def _header_counts():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        from mdt import header_counts_now
        # The header's counts (read with the session on a page; on a team or none).
        return header_counts_now()[2]
    return {"unread_notifications": unread_notifications}


# The email preview is framed by the outbox page and sandboxed: its own CSP, which the app's
# headers leave in place.
PREVIEW_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "img-src data:; frame-ancestors 'self'; sandbox",
    "X-Frame-Options": "SAMEORIGIN",
}


def _admin_only():
    if not current_user.is_admin:
        abort(403)


# --- my notifications -----------------------------------------------------------------

@bp.get("/notifications")
@login_required
def notifications():
    return render_template("reminders/notifications.html",
                           notices=service.latest(current_user.id), form=ConfirmForm())


@bp.post("/notifications/read")
@login_required
def mark_read():
    if ConfirmForm().validate_on_submit():
        service.mark_all_read(current_user.id)
        db.session.commit()
        flash("Notifications marked as read")
    return redirect(url_for("reminders.notifications"), code=303)


# --- the admin page -------------------------------------------------------------------

@bp.get("/reminders")
@login_required
def admin():
    _admin_only()
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    try:
        redis = redis_connection()
    except Exception:  # noqa: BLE001 - the page shows Redis as down
        redis = None
    health = queue_health(redis, current_app.config["REMINDER_QUEUE"]) if redis is not None \
        else {"redis": "down", "error": "no connection"}
    return render_template("reminders/admin.html", status=status, counts=queries.counts(),
                           rows=queries.listing(status or None), statuses=STATUSES,
                           kinds=KIND_LABELS, health=health, form=ConfirmForm(),
                           dev_outbox=not current_app.config.get("SMTP_URL"))


@bp.post("/reminders/<int:reminder_id>/retry")
@login_required
@load("reminder_id", role="admin")
def retry(reminder_id: int, reminder: Reminder):
    if ConfirmForm().validate_on_submit():
        retried = service.retry(reminder_id)
        db.session.commit()  # before the planner (another thread) reads it
        if retried:
            queued = service.plan_soon()
            flash("Reminder queued again" if queued else
                  "Reminder marked to send again: it goes when Redis is back")
        else:
            flash("That reminder was not waiting for a retry")
    return redirect(url_for("reminders.admin", status="failed"), code=303)


@bp.post("/reminders/plan")
@login_required
def plan_now():
    _admin_only()
    if ConfirmForm().validate_on_submit():
        flash("The planner will run in a moment" if service.plan_soon() else
            "Redis is not answering: the planner runs when it is back")
    return redirect(url_for("reminders.admin"), code=303)


# --- the development outbox ------------------------------------------------------------

@bp.get("/reminders/outbox")
@login_required
def dev_outbox():
    """With no SMTP_URL (development), 'sent' emails are kept here instead. Admins see
    everyone's; others see their own."""
    if current_app.config.get("SMTP_URL"):
        abort(404)
    stmt = db.select(Reminder).where(Reminder.message.is_not(None)) \
        .order_by(Reminder.sent_at.desc(), Reminder.id.desc()).limit(200)
    if not current_user.is_admin:
        stmt = stmt.where(Reminder.recipient == current_user.email.lower())
    return render_template("reminders/outbox.html", rows=db.session.scalars(stmt).all(),
                           kinds=KIND_LABELS)


def _parts(row: Reminder) -> dict:
    message = message_from_string(row.message, policy=policy.default)
    parts = {"headers": [(k, str(v)) for k, v in message.items()
                         if k in ("From", "To", "Subject", "Date", "List-Unsubscribe")]}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html", "text/calendar"):
            parts[kind] = part.get_content()
            if kind == "text/calendar":
                parts["method"] = part.get_param("method")
    return parts


@bp.get("/reminders/outbox/<int:reminder_id>")
@login_required
@load("reminder_id", fetch=own_sent_message)
def dev_message(reminder_id: int, reminder: Reminder):
    row = reminder
    return render_template("reminders/message.html", row=row, parts=_parts(row),
                           kinds=KIND_LABELS)


@bp.get("/reminders/outbox/<int:reminder_id>/html")
@login_required
@load("reminder_id", fetch=own_sent_message)
def dev_message_html(reminder_id: int, reminder: Reminder):
    row = reminder
    return Response(_parts(row).get("text/html", ""), content_type="text/html; charset=utf-8",
                    headers=PREVIEW_HEADERS)


# --- a team's reminder settings ---------------------------------------------------------

@bp.route("/teams/<int:team_id>/reminders", methods=["GET", "POST"])
@login_required
@load("team_id", role="chair")
def team_settings(team_id: int, team: Team):
    actor = current_actor()
    form = TeamRemindersForm()
    if form.validate_on_submit():
        service.save_team_topics(actor, team_id, set(form.topics.data or []))
        db.session.commit()
        flash("Reminder settings saved")
        return redirect(url_for("reminders.team_settings", team_id=team_id), code=303)
    if request.method == "GET":
        form.topics.data = [t for t, on in service.team_topics(team_id).items() if on]
    chosen = set(form.topics.data or [])
    items = [{"value": topic, "text": label, "hint": {"text": hint},
              "checked": topic in chosen} for topic, (label, hint) in TOPICS.items()]
    return render_template("reminders/team_settings.html", team=team, form=form,
                           items=items), 400 if form.errors else 200


# --- unsubscribe (the link in every email; no sign-in needed) ---------------------------

@bp.route("/reminders/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    found = tokens.read(current_app.config["SECRET_KEY"], token)
    if found is None or found[1] not in TOPICS:
        abort(404)
    email, topic = found
    form = ConfirmForm()
    done = False
    if form.validate_on_submit():
        service.opt_out(email, topic)
        db.session.commit()
        done = True
    return render_template("reminders/unsubscribe.html", email=email, topic=TOPICS[topic][0],
                           form=form, done=done or service.is_opted_out(email, topic))
