from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from redis.exceptions import RedisError

from mdt.audit import service as audit
from mdt.auth import service, throttle
from mdt.auth.forms import PasswordChangeForm, SignInForm
from mdt.auth.oidc import client as oidc_client
from mdt.auth.scope import current_teams
from mdt.extensions import db, login_manager
from mdt.forms import error_list

bp = Blueprint("auth", __name__)

THROTTLED = "Too many failed sign-in attempts. Wait 15 minutes and try again."
BAD_CREDENTIALS = "Enter a correct email address and password"


@login_manager.user_loader
def load_user(user_id: str):
    """The session, the user, their memberships and teams (and what else the app asks for
    with them: the header's counts) in one query, fresh on every request."""
    config = current_app.config
    extras = [(name, make(int(user_id))) for name, make
              in current_app.extensions.get("mdt_signed_in_extras", {}).items()]
    extras = [(name, columns) for name, columns in extras if columns]
    found = service.signed_in(session.get("sid"), int(user_id),
                              idle=config["SESSION_IDLE_TIMEOUT"],
                              absolute=config["SESSION_ABSOLUTE_TIMEOUT"],
                              extra=[column for _, columns in extras for column in columns])
    if found is None:
        db.session.commit()  # a timed-out session stays revoked
        return None
    row, user, roles, teams, values = found
    g.auth_session = row  # how this session began: its method and assurance (acr, amr)
    g.signed_in_roles, g.teams = roles, teams  # (auth.scope reads them)
    values = iter(values)
    g.signed_in_extras = {name: tuple(next(values) for _ in columns) for name, columns in extras}
    # Sliding idle timeout, written at most once a minute to spare the database.
    from mdt.timeutil import utcnow
    now = utcnow()
    if (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
        db.session.commit()
    return user


def _may_try(kind: str, account: str, address: str) -> bool:
    """A slot from the Redis throttle; with Redis down, the failures in the database."""
    try:
        return throttle.take(kind, account, address)
    except RedisError:
        config = current_app.config
        return not service.is_throttled(
            account, address, window=config["SIGNIN_WINDOW"],
            per_account=config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"],
            per_address=config["SIGNIN_MAX_FAILURES_PER_ADDRESS"])


def _tried(kind: str, account: str, address: str, ok: bool) -> None:
    try:
        (throttle.succeeded if ok else throttle.failed)(kind, account, address)
    except RedisError:
        pass


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    r"""Only a path on this site: never an open redirect. Browsers ignore tabs and new lines
    in a URL and read a backslash as a slash, so "/\t/evil.example" means "//evil.example":
    refuse any of those, any scheme or host, and anything that is not a plain path."""
    target = target or ""
    parts = urlsplit(target)
    unsafe = (not target.startswith("/") or target.startswith("//") or parts.scheme
              or parts.netloc or "\\" in target or len(target) > 500
              or any(ord(ch) < 0x21 or ord(ch) == 0x7f for ch in target))
    return url_for("home.index") if unsafe else target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    error = None
    status = 200
    passwords = current_app.config.get("PASSWORD_SIGN_IN", True)
    if request.method == "POST" and not passwords:
        abort(404)  # this deployment signs in with its organisations' accounts only
    if form.validate_on_submit():
        email, address = service.normalise_email(form.email.data), _client_address()
        if not _may_try("sign_in", email, address):
            error, status = THROTTLED, 429
        else:
            user = service.find_user(email)
            # The hash is checked whoever asks (a dummy one for an unknown or inactive
            # account), so the time taken does not tell which accounts exist.
            valid = service.verify_password(user if user and user.is_active else None,
                                            form.password.data)
            _tried("sign_in", email, address, valid)
            if valid:
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
    return render_template("auth/sign_in.html", form=form, errors=errors, passwords=passwords,
                           providers=oidc_client.providers(),
                           next=request.args.get("next")), status


@bp.post("/sign-out")
@login_required
def sign_out():
    """Ends the local session; one begun at an OpenID provider that offers RP-initiated
    logout goes on to end the provider's session too (with the ID token as the hint)."""
    row = service.end_session(session.get("sid"))
    id_token = row.id_token if row is not None else None
    if row is not None:
        row.id_token = None  # needed once more, below, then not kept
    audit.record(user_id=current_user.id, role="", team_id=None, action="sign_out",
                 record_type="user", record_id=current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out")
    provider = oidc_client.provider(row.method) if row is not None else None
    if provider is not None:
        url = oidc_client.logout_url(provider, id_token)
        if url:
            return redirect(url, code=303)
    return redirect(url_for("auth.sign_in"))


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Changing the password ends every other session (a stolen cookie stops working)."""
    form = PasswordChangeForm()
    if form.validate_on_submit() and not _may_try("password", current_user.email,
                                                  _client_address()):
        form.current.errors = [THROTTLED.replace("sign-in", "password")]
    elif form.is_submitted() and not form.errors:
        try:
            token = service.change_password(current_user, form.current.data, form.new.data,
                                            form.confirm.data,
                                            teams=tuple(t.name for t in current_teams()))
        except service.PasswordPolicyError as exc:
            field = form.current if "current" in str(exc) else form.new
            field.errors = [str(exc)]
            if field is form.current:
                _tried("password", current_user.email, _client_address(), False)
                service.record_failure(current_user.email, _client_address())
                db.session.commit()
        else:
            _tried("password", current_user.email, _client_address(), True)
            audit.record(user_id=current_user.id, role="", team_id=None, action="change",
                         record_type="password", record_id=current_user.id)
            db.session.commit()
            session["sid"] = token
            flash("Password changed. You have been signed out everywhere else.")
            return redirect(url_for("auth.change_password"), code=303)
    status = 400 if form.errors else 200
    return render_template("auth/change_password.html", form=form,
                           errors=error_list(form)), status
