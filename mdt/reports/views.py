"""The team figures page: follow-through of actions and attendance over time."""

from flask import Blueprint, render_template

from mdt.audit import service as audit
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.loaders import load
from mdt.reports import charts, queries
from mdt.teams.models import Team
from mdt.timeutil import london_today

bp = Blueprint("reports", __name__)


@bp.get("/teams/<int:team_id>/figures")
@team_member_required
@load("team_id")
def figures(team_id: int, team: Team):
    """Any member of the team; another team's figures do not exist for this user."""
    actor = current_actor()
    today = london_today()
    months = queries.follow_through_by_month(team_id, today)
    meetings = queries.follow_through_by_meeting(team_id, today)
    deaths, deaths_total = queries.place_of_death(team_id, today)
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="view", record_type="team_figures", record_id=team_id)
    db.session.commit()
    return render_template(
        "reports/figures.html", team=team, today=today, months=months, meetings=meetings,
        total=queries.team_follow_through(team_id, today),
        attendance=queries.attendance(team_id, today), is_team_chair=actor.is_chair(team_id),
        month_chart=charts.follow_through_by_month_chart(months),
        meeting_chart=charts.follow_through_by_meeting_chart(meetings),
        deaths=deaths, deaths_total=deaths_total,
        place_chart=charts.place_of_death_chart(deaths))
