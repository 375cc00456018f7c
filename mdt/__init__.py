"""Neighbourhood MDT: the app factory."""

import secrets
import time
from pathlib import Path

from flask import Flask, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from mdt import config as config_module
from mdt.extensions import csrf, db, htmx, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.url_map.converters["int"] = BoundedInt
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    config_module.complete(app.config)

    _init_database(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.session_protection = None  # server-side sessions do this job (auth.service)
    csrf.init_app(app)
    htmx.init_app(app)
    from mdt import once
    once.init_app(app)
    _init_templates(app)
    _init_security_headers(app)
    _init_error_pages(app)
    _register_blueprints(app)

    from mdt.cli import register_commands
    register_commands(app)
    return app


def _init_database(app: Flask) -> None:
    from mdt import models  # noqa: F401  (every table registered before use)

    db.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # SQLite: WAL so readers do not block the writer, foreign keys enforced, and a wait
    # instead of "database is locked" when the web app and the worker write at once.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # WAL's own advice: commits do not wait for the disk, checkpoints do. A crash of
        # the app loses nothing; only losing power can lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _init_templates(app: Flask) -> None:
    from mdt.forms import render_field
    from mdt.patients.nhs_number import display as nhs_display
    from mdt.timeutil import format_clock, format_date, format_uk

    app.jinja_loader = ChoiceLoader([app.jinja_loader, PackageLoader("nhsuk_frontend_jinja")])
    app.jinja_env.undefined = ChainableUndefined  # the NHS.UK macros expect it
    # Flask escapes only *.html templates by default; the NHS.UK macros are *.jinja and
    # print user text (names, notes), so escape everywhere.
    app.jinja_env.autoescape = True
    from mdt.auth.oidc.assurance import session_meets
    from mdt.patients.lifecycle import PLACE_LABELS
    from mdt.patients.lifecycle import label as lifecycle_label
    app.jinja_env.globals.update(render_field=render_field, lifecycle_label=lifecycle_label,
                                 place_labels=PLACE_LABELS, assurance_meets=session_meets)
    app.jinja_env.filters["multiline"] = lambda text: Markup(
        '<span class="app-pre-line">{}</span>').format(text if text is not None else "")
    app.jinja_env.filters.update(uk_time=format_uk, uk_date=format_date, nhs_number=nhs_display,
                                 uk_clock=format_clock)

    app.extensions.setdefault("mdt_signed_in_extras", {})["header_counts"] = header_count_columns

    @app.context_processor
    def layout_context():
        from mdt.auth.scope import chaired_team_ids, current_teams
        signed_in = current_user.is_authenticated
        return {
            "cspNonce": g.get("csp_nonce", ""),
            "assetPath": url_for("static", filename="vendor/nhsuk-frontend/assets"),
            "user_teams": current_teams() if signed_in else [],
            "is_chair": bool(chaired_team_ids()) if signed_in else False,
            "chaired_team_ids": chaired_team_ids() if signed_in else [],
            "action_counts": _LazyCounts() if signed_in else None,
        }


class _LazyCounts:
    """The header's action counts, counted only when a page draws the header (an htmx
    fragment does not: live mode's swaps were paying for a query they never showed)."""

    def __iter__(self):
        return iter(header_counts_now()[:2])

    def __bool__(self):
        return True


def header_counts_now():
    """(overdue, this week, unread notifications), counted once per request."""
    from mdt.actions.queries import header_counts
    from mdt.auth.scope import current_team_ids
    from mdt.timeutil import london_today

    if "header_counts" not in g:
        read = g.get("signed_in_extras", {}).get("header_counts")  # read with the session
        g.header_counts = tuple(int(n or 0) for n in read) if read else header_counts(
            current_user.id, current_team_ids(), london_today())
    return g.header_counts


def header_count_columns(user_id: int) -> list:
    """The header's counts as columns of the signed-in query (auth.views.load_user), for a
    request that draws the header (a page; not an htmx fragment, a POST or a file): there
    they cost no query of their own. Elsewhere none (the header, if drawn, counts them)."""
    from mdt.actions.queries import header_count_columns as columns
    from mdt.timeutil import london_today

    if request.method != "GET" or request.headers.get("HX-Request") or request.endpoint in (
            None, "static"):
        return []
    return columns(user_id, london_today())


class BoundedInt(IntegerConverter):
    """<int:...> that fits the database's integer: a longer id is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _init_security_headers(app: Flask) -> None:
    @app.before_request
    def make_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)
        g.request_began = time.perf_counter()

    @app.after_request
    def headers(response):
        nonce = g.get("csp_nonce", "")
        # A view that knows better sets its own (the email preview, framed and sandboxed).
        response.headers.setdefault("Content-Security-Policy", (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
            "img-src 'self' data:; font-src 'self' https://assets.nhs.uk; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            f"form-action 'self'{_provider_origins(app)}"))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["Permissions-Policy"] = (
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
            "interest-cohort=(), browsing-topics=()")
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Pages may hold patient data: never keep them in a shared PC's cache. (A view
            # that knows better, such as a calendar feed, sets its own.)
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if "request_began" in g:  # the server's time, for the browser's developer tools
            spent = (time.perf_counter() - g.request_began) * 1000
            response.headers["Server-Timing"] = f"app;dur={spent:.1f}"
        return response


def _provider_origins(app: Flask) -> str:
    """The OpenID providers' origins: the sign-in and sign-out forms redirect there, and
    browsers hold a form's redirects to form-action too."""
    from urllib.parse import urlsplit

    origins = sorted({"{0.scheme}://{0.netloc}".format(urlsplit(p.issuer))
                      for p in app.config.get("OIDC_PROVIDERS") or ()})
    return "".join(f" {origin}" for origin in origins)


def _is_contention(error) -> bool:
    """A deadlock, a serialisation failure or SQLite's lock wait running out."""
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    return code in ("40001", "40P01", "55P03") or "database is locked" in str(error)


def _init_error_pages(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("errors/error.html", title=title, message=message), status

    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from mdt.audit.reads import audit_refusal

    def refused(status, title, message):
        def handler(error):
            audit_refusal(status)  # an id of another team's record leaves a trace
            return page(status, title, message)
        return handler

    forbidden = refused(403, "You do not have permission to see this page",
                        "Ask your team's chair if you think you should have access.")

    def forbidden_or_assurance(error):
        from mdt.auth.oidc.assurance import AssuranceTooLow
        if isinstance(error, AssuranceTooLow):
            audit_refusal(403)
            return page(403, "This needs a stronger sign-in", error.description)
        if g.get("chair_needs_assurance"):  # a chair signed in below CHAIR_MIN_ASSURANCE
            audit_refusal(403)
            return page(403, "This needs a stronger sign-in",
                        AssuranceTooLow("Chairing a team").description)
        return forbidden(error)

    app.register_error_handler(403, forbidden_or_assurance)
    not_found = refused(404, "Page not found", "If you typed the web address, check it is "
                        "correct.")
    app.register_error_handler(404, not_found)

    def conflict(title, message):
        """Two requests that each passed their checks and then collided in the database (a
        stale version, the same patient added twice at once, a deadlock): the second is
        refused with a page, audited, never a 500."""
        def handler(error):
            if isinstance(error, OperationalError) and not _is_contention(error):
                raise error
            db.session.rollback()
            audit_refusal(409)
            return page(409, title, message)
        return handler

    # The refusal vocabulary (mdt/errors.py): what a view does not catch is answered here,
    # audited like the aborts above.
    from mdt import errors

    app.register_error_handler(errors.NotFound, not_found)
    app.register_error_handler(errors.Refused, forbidden_or_assurance)

    def conflict_page(error):
        db.session.rollback()
        audit_refusal(409)
        return page(409, error.title, error.description)

    app.register_error_handler(errors.Conflict, conflict_page)
    from mdt.audit.reads import audit_refused_change

    app.after_request(audit_refused_change)

    app.register_error_handler(StaleDataError, conflict(
        "Someone else has just changed this", "Their change was saved a moment before "
        "yours, so yours was not. Reload the page to see the record as it is now, then try "
        "again."))
    same_moment = conflict(
        "Someone else has just done this", "Another change reached the same record at the "
        "same moment. Reload the page to see it as it is now; nothing of yours was "
        "half-saved.")
    app.register_error_handler(IntegrityError, same_moment)
    app.register_error_handler(OperationalError, same_moment)
    app.register_error_handler(413, lambda e: page(
        413, "What you sent is too large", "The file is larger than 5 MB: a caseload search "
        "should be far smaller. Check it is the right file. Nothing was imported."
        if request.endpoint == "imports.upload" else "Shorten the text and try again."))
    app.register_error_handler(429, lambda e: page(
        429, "Too many requests", "Wait a few minutes and try again."))
    app.register_error_handler(CSRFError, lambda e: page(
        400, "Your form could not be sent", "The page had expired. Go back, reload the page "
        "and try again: nothing was saved."))
    app.register_error_handler(500, lambda e: page(
        500, "Sorry, there is a problem with the service", "Try again later. Nothing you "
        "have not already seen saved was saved."))


def _register_blueprints(app: Flask) -> None:
    """Each feature registers its own blueprint and hooks (its package's init_app)."""
    from mdt import (
        actions,
        audit_log,
        auth,
        calendar,
        care_plans,
        fhir,
        health,
        home,
        imports,
        letters,
        lifecycle,
        meetings,
        patients,
        referrals,
        reminders,
        reports,
        teams,
        visits,
    )
    from mdt.auth import oidc

    for feature in (auth, actions, patients, meetings, audit_log, health, teams, visits, calendar,
                    reminders, referrals, reports, lifecycle, home, imports, letters, fhir,
                    care_plans, oidc):
        feature.init_app(app)

    @app.get("/favicon.ico")
    def favicon():
        return redirect(url_for("static", filename="vendor/nhsuk-frontend/assets/images/favicon.ico"))

