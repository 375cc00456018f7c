"""Calendars: the invitation download, the subscription feeds and the settings page
where a user (and a team's chair) makes or turns off a secret feed link."""

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
from werkzeug.http import http_date, is_resource_modified, parse_date

from mdt.auth.models import User
from mdt.auth.scope import current_actor, current_teams, team_member_required
from mdt.calendar import feed_cache, feeds, invitations, service
from mdt.calendar.forms import FeedLinkForm
from mdt.extensions import db
from mdt.loaders import load
from mdt.meetings.models import Meeting
from mdt.teams.models import Team
from mdt.timeutil import london_today

bp = Blueprint("calendar", __name__)

FEED_CACHE = "private, max-age=900"  # calendar apps poll; 15 minutes is plenty


def _base_url() -> str:
    return current_app.config["BASE_URL"]


@bp.get("/meetings/<int:meeting_id>/invite.ics")
@team_member_required
@load("meeting_id")
def invite(meeting_id: int, meeting: Meeting):
    found = invitations.meeting_invitation(meeting, _base_url(),
                                           for_user=current_actor().user_id)
    return Response(found.ics, content_type=found.content_type, headers={
        "Content-Disposition": f'attachment; filename="{found.filename}"'})


def _feed_response(feed, team_ids, build) -> Response:
    """The feed's body, or 304. A version from Redis answers a calendar app that already
    has it without building anything; a stored body serves the rest (see feed_cache)."""
    today = london_today()
    current = feed_cache.version(feed.token_hash, team_ids, today, feeds.FORMAT)
    etag = f"v{current}" if current else None
    if etag and request.if_none_match.contains(etag):
        response = Response(status=304)  # the app has this version: nothing built
        feeds.note_used(feed)
    elif (cached := feed_cache.load(current) if current else None) is not None:
        body, modified = cached
        response = _conditional(body, parse_date(modified), etag)
        feeds.note_used(feed)
    else:
        unstamped = feeds.unstamped(build(today))
        digest_etag, modified = feeds.version(feed, unstamped)
        body = feeds.stamped(unstamped, modified)
        if current:
            feed_cache.store(current, body, http_date(modified))
        else:
            etag = digest_etag
        response = _conditional(body, modified, etag)
    db.session.commit()  # the link's last use, the content's digest
    response.set_etag(etag)
    response.headers["Cache-Control"] = FEED_CACHE  # the app's no-store default gives way
    return response


def _conditional(body: bytes, modified, etag: str) -> Response:
    if is_resource_modified(request.environ, etag=etag, last_modified=modified):
        response = Response(body, content_type="text/calendar; charset=utf-8",
                            headers={"Content-Disposition":
                                     'inline; filename="neighbourhood-mdt.ics"'})
    else:
        response = Response(status=304)
    response.last_modified = modified
    return response


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str):
    """No sign-in: the token is the credential. Unknown or revoked: 404, nothing more."""
    feed = feeds.find(token, team=False)
    if feed is None:
        abort(404)
    team_ids = feeds.team_ids_of(feed.user_id)
    return _feed_response(feed, team_ids, lambda today: feeds.personal_content(
        db.session.get(User, feed.user_id), _base_url(), today, team_ids))


@bp.get("/calendar/team/<token>.ics")
def team_feed(token: str):
    feed = feeds.find(token, team=True)
    if feed is None:
        abort(404)
    return _feed_response(feed, [feed.team_id], lambda today: feeds.team_content(
        feed.team_id, _base_url(), today))


# --- settings ---------------------------------------------------------------------------

def _link(endpoint: str, token: str) -> dict:
    url = _base_url() + url_for(endpoint, token=token)
    return {"url": url, "webcal": "webcal://" + url.split("://", 1)[1]}


def _settings_page(new_link: dict | None = None, new_for=None):
    actor = current_actor()
    teams = [team for team in current_teams() if actor.is_chair(team.id)]
    return render_template(
        "calendar/settings.html", form=FeedLinkForm(), personal=feeds.active_feed(actor.user_id),
        team_feeds=[(team, feeds.active_feed(actor.user_id, team.id)) for team in teams],
        new_link=new_link, new_for=new_for)


@bp.get("/settings")
@login_required
def settings():
    return _settings_page()


@bp.post("/settings/calendar-feed")
@login_required
def new_personal_feed():
    token = service.issue(current_user.id)
    db.session.commit()
    return _settings_page(_link("calendar.personal_feed", token), new_for="personal")


@bp.post("/settings/calendar-feed/off")
@login_required
def personal_feed_off():
    revoked = service.revoke(current_user.id)
    db.session.commit()
    if revoked:
        flash("Your calendar link is turned off: calendars using it will stop updating")
    return redirect(url_for("calendar.settings"), code=303)


@bp.post("/settings/team-feeds/<int:team_id>")
@login_required
@load("team_id", role="chair")
def new_team_feed(team_id: int, team: Team):
    token = service.issue(current_user.id, team.id, role="chair")
    db.session.commit()
    return _settings_page(_link("calendar.team_feed", token), new_for=team.id)


@bp.post("/settings/team-feeds/<int:team_id>/off")
@login_required
@load("team_id", role="chair")
def team_feed_off(team_id: int, team: Team):
    revoked = service.revoke(current_user.id, team.id, role="chair")
    db.session.commit()
    if revoked:
        flash(f"The calendar link for {team.name} is turned off")
    return redirect(url_for("calendar.settings"), code=303)
