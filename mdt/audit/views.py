from flask import Blueprint, render_template
from flask_login import current_user

from mdt.audit import service
from mdt.auth.scope import chair_required, chaired_team_ids

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("")
@chair_required
def index():
    """The audit log of the teams the user chairs (all teams for a system administrator)."""
    events = service.events_for_teams(chaired_team_ids(), all_teams=current_user.is_admin)
    return render_template("audit/index.html", events=events)
