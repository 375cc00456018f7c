"""OpenID Connect routes: start, callback, linking from settings, a chair's invitations."""

from authlib.common.errors import AuthlibBaseError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user
from joserfc.errors import JoseError
from redis.exceptions import RedisError
from requests import RequestException
from sqlalchemy import select

from mdt.audit import service as audit
from mdt.auth import service as auth_service
from mdt.auth import throttle
from mdt.auth.oidc import client, service
from mdt.auth.oidc.forms import InvitationForm, LinkForm
from mdt.auth.oidc.models import Invitation
from mdt.auth.scope import current_actor
from mdt.auth.views import THROTTLED, _client_address, _may_try, _safe_next, _tried
from mdt.extensions import csrf, db
from mdt.forms import apply_errors, error_list
from mdt.loaders import load, register
from mdt.timeutil import utcnow

bp = Blueprint("oidc", __name__)

register("invitation_id", "invitation", lambda actor, id_, loaded: db.session.scalar(
    select(Invitation).where(Invitation.id == id_, Invitation.team_id == loaded["team"].id)))

FAILED = ("Signing in with your organisation's account did not work. Go back to the sign-in "
          "page and try again. If it keeps happening, tell your IT service desk.")


def _address_open() -> bool:
    try:
        return throttle.address_open("oidc", _client_address())
    except RedisError:
        return True  # the callback's checks do not depend on the throttle


def _failed(reason: str, provider: str, user_id=None) -> None:
    """A refused sign-in: counted against the address, and a row in the audit."""
    db.session.rollback()
    try:
        throttle.failed("oidc", "", _client_address())
    except RedisError:
        pass
    audit.record(user_id=user_id, role="", team_id=None, action="sign_in", record_type="user",
                 outcome="refused", changes={"method": provider, "reason": reason[:200]})
    db.session.commit()


def _refusal(message: str, status: int):
    return render_template("auth/oidc_refused.html", message=message), status


@bp.post("/sign-in/oidc/<provider>")
def start(provider: str):
    p = client.provider(provider) or abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if not _address_open():
        return _refusal(THROTTLED, 429)
    session.pop("oidc_link", None)
    session["oidc_next"] = _safe_next(request.args.get("next"))
    return _redirect_to(p)


def _redirect_to(p, **options):
    """To the provider's authorization endpoint; a provider that cannot be reached (its
    discovery document) is a page saying so, not a 500."""
    try:
        return client.authorize_redirect(p, **options)
    except (AuthlibBaseError, RequestException, ValueError, KeyError, RuntimeError):
        return _refusal(f"{p.display_name} cannot be reached at the moment. Try again in a "
                        "few minutes" + (", or sign in with your password." if current_app
                                         .config.get("PASSWORD_SIGN_IN") else "."), 503)


@bp.get("/sign-in/oidc/<provider>/callback")
def callback(provider: str):
    p = client.provider(provider) or abort(404)
    if not _address_open():
        return _refusal(THROTTLED, 429)
    linking = session.pop("oidc_link", None)
    try:
        raw, id_token = client.finish(p)
        claims = service.claims_from(raw, p.issuer)
    except (AuthlibBaseError, JoseError, RequestException, KeyError, ValueError,
            TypeError) as exc:
        reason = getattr(exc, "error", None) or type(exc).__name__
        _failed(f"{reason}: {getattr(exc, 'description', '') or ''}", p.name,
                current_user.id if current_user.is_authenticated else None)
        return _refusal(FAILED, 400)
    if linking is not None:
        return _finish_link(p, claims, linking)
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    user = service.find_linked_user(claims)
    if user is None:
        try:
            user = service.accept_invitation(claims, p.name, trust_email=p.trust_email)
        except service.Refused as exc:
            _failed(f"unknown identity {claims.email or claims.subject}"[:200], p.name)
            return _refusal(str(exc), 403)
        audit.record(user_id=user.id, role="", team_id=None, action="create",
                     record_type="user", record_id=user.id,
                     changes={"method": p.name, "invitation": "accepted"})
    if not user.is_active:
        _failed("inactive account", p.name, user.id)
        return _refusal("Your account here has been closed. " + service.ASK_A_CHAIR, 403)
    next_page = session.get("oidc_next")
    session.clear()  # a new session at sign-in: no fixation
    session["sid"] = auth_service.start_session(
        user, method=p.name, acr=claims.acr, amr=list(claims.amr), id_token=id_token,
        provider_sid=claims.sid or None)
    login_user(user)
    audit.record(user_id=user.id, role="", team_id=None, action="sign_in", record_type="user",
                 record_id=user.id, changes={"method": p.name, "acr": claims.acr,
                                             "amr": list(claims.amr)})
    db.session.commit()
    return redirect(_safe_next(next_page))


@bp.post("/sign-in/oidc/<provider>/backchannel-logout")
@csrf.exempt  # no browser here: the provider's signed logout token is the proof
def backchannel_logout(provider: str):
    """OpenID Connect Back-Channel Logout: the provider tells the app a user's session at
    the provider has ended; their sessions here that began there end too."""
    p = client.provider(provider) or abort(404)
    try:
        claims = client.verify_logout_token(p, request.form.get("logout_token", ""))
    except (client.LogoutTokenError, AuthlibBaseError, RequestException) as exc:
        _failed(f"back-channel logout: {exc}"[:200], p.name)
        return _no_store({"error": "invalid_request"}, 400)
    ended = service.end_provider_sessions(p.name, p.issuer, sid=claims.get("sid"),
                                          sub=claims.get("sub"))
    audit.record(user_id=None, role="", team_id=None, action="sign_out", record_type="user",
                 changes={"method": p.name, "back_channel": True, "sessions": ended})
    db.session.commit()
    return _no_store({}, 200)


def _no_store(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _finish_link(p, claims, linking):
    if not current_user.is_authenticated or linking != current_user.id:
        _failed("link without the session that asked for it", p.name)
        return _refusal(FAILED, 400)
    try:
        service.link(current_user, claims, p.name)
    except service.Refused as exc:
        _failed("link refused: identity in use", p.name, current_user.id)
        return _refusal(str(exc), 409)
    audit.record(user_id=current_user.id, role="", team_id=None, action="create",
                 record_type="identity", record_id=current_user.id,
                 changes={"method": p.name, "acr": claims.acr, "amr": list(claims.amr)})
    db.session.commit()
    flash(f"Your {p.display_name} account is linked. You can sign in with it from now on.")
    return redirect(url_for("oidc.settings"), code=303)


@bp.route("/settings/sign-in", methods=["GET", "POST"])
@login_required
def settings():
    """The signed-in user's linked organisation accounts; linking another asks for the
    password first (a borrowed session must not add a way in of its own)."""
    form = LinkForm()
    form.provider.choices = [(p.name, p.display_name) for p in client.providers()]
    has_password = bool(current_user.password_hash)
    if form.validate_on_submit() and has_password:
        p = client.provider(form.provider.data) or abort(404)
        email, address = current_user.email, _client_address()
        if not _may_try("password", email, address):
            form.password.errors = [THROTTLED.replace("sign-in", "password")]
        elif not auth_service.verify_password(current_user, form.password.data):
            _tried("password", email, address, False)
            auth_service.record_failure(email, address)
            db.session.commit()
            form.password.errors = ["Your password is not correct"]
        else:
            _tried("password", email, address, True)
            session["oidc_link"] = current_user.id
            return _redirect_to(p, prompt="login")
    status = 400 if form.errors else 200
    return render_template("auth/sign_in_methods.html", form=form, errors=error_list(form),
                           identities=service.identities_of(current_user.id),
                           providers={p.name: p for p in client.providers()},
                           has_password=has_password), status


@bp.route("/teams/<int:team_id>/invitations", methods=["GET", "POST"])
@login_required
@load("team_id", role="chair")
def invitations(team_id: int, team):
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            invitation = service.invite(current_actor(), team_id, email=form.email.data,
                                        name=form.name.data, role=form.role.data,
                                        days=current_app.config.get("INVITATION_DAYS", 14))
        except service.InvitationError as exc:
            apply_errors(form, exc.errors)
        else:
            audit.record(user_id=current_user.id, role="chair", team_id=team_id,
                         action="create", record_type="invitation", record_id=invitation.id,
                         changes={"email": invitation.email, "role": invitation.role})
            db.session.commit()
            flash(f"{invitation.name} is invited: an email on its way to {invitation.email} "
                  "says how to sign in with their organisation's account.")
            return redirect(url_for("oidc.invitations", team_id=team_id), code=303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("teams/invitations.html", team=team, form=form,
                           errors=error_list(form), now=utcnow(),
                           invitations=service.team_invitations(team_id),
                           providers=client.providers()), status


@bp.post("/teams/<int:team_id>/invitations/<int:invitation_id>/withdraw")
@login_required
@load("team_id", "invitation_id", role="chair")
def withdraw(team_id: int, invitation_id: int, team, invitation: Invitation):
    service.withdraw(current_actor(), invitation)
    audit.record(user_id=current_user.id, role="chair", team_id=team_id, action="change",
                 record_type="invitation", record_id=invitation.id,
                 changes={"status": "withdrawn"})
    db.session.commit()
    flash(f"The invitation to {invitation.email} is withdrawn")
    return redirect(url_for("oidc.invitations", team_id=team_id), code=303)
