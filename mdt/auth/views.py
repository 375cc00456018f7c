from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from mdt.audit import service as audit
from mdt.auth import service
from mdt.auth.forms import PasswordChangeForm, SignInForm
from mdt.extensions import db, login_manager
from mdt.forms import error_list

bp = Blueprint("auth", __name__)

THROTTLED = "Too many failed sign-in attempts. Wait 15 minutes and try again."
BAD_CREDENTIALS = "Enter a correct email address and password"


@login_manager.user_loader
def load_user(user_id: str):
    from mdt.auth.models import User

    config = current_app.config
    row = service.live_session(session.get("sid"), int(user_id),
                               idle=config["SESSION_IDLE_TIMEOUT"],
                               absolute=config["SESSION_ABSOLUTE_TIMEOUT"])
    if row is None:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    # Sliding idle timeout, written at most once a minute to spare the database.
    from mdt.timeutil import utcnow
    now = utcnow()
    if (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
        db.session.commit()
    return user


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("actions.index")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("actions.index"))
    form = SignInForm()
    error = None
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        email, address = form.email.data, _client_address()
        if service.is_throttled(email, address, window=config["SIGNIN_WINDOW"],
                                per_account=config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"],
                                per_address=config["SIGNIN_MAX_FAILURES_PER_ADDRESS"]):
            error, status = THROTTLED, 429
        else:
            user = service.find_user(email)
            if user and user.is_active and service.verify_password(user, form.password.data):
                session.clear()  # a new session at sign-in: no fixation
                session["sid"] = service.start_session(user)
                login_user(user)
                audit.record(user_id=user.id, role="", team_id=None, action="sign_in",
                             record_type="user", record_id=user.id)
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")))
            service.record_failure(email, address)
            db.session.commit()
            error, status = BAD_CREDENTIALS, 401
    elif form.errors:
        status = 400
    errors = [{"text": error, "href": "#email"}] if error else error_list(form)
    return render_template("auth/sign_in.html", form=form, errors=errors), status


@bp.post("/sign-out")
@login_required
def sign_out():
    service.end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out")
    return redirect(url_for("auth.sign_in"))


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Changing the password ends every other session (a stolen cookie stops working)."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            token = service.change_password(current_user, form.current.data, form.new.data,
                                            form.confirm.data)
        except service.PasswordPolicyError as exc:
            field = form.current if "current" in str(exc) else form.new
            field.errors = [str(exc)]
        else:
            audit.record(user_id=current_user.id, role="", team_id=None, action="change",
                         record_type="password", record_id=current_user.id)
            db.session.commit()
            session["sid"] = token
            flash("Password changed. You have been signed out everywhere else.")
            return redirect(url_for("auth.change_password"), code=303)
    status = 400 if form.errors else 200
    return render_template("auth/change_password.html", form=form,
                           errors=error_list(form)), status
