from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from mdt.auth.scope import current_actor
from mdt.extensions import db
from mdt.forms import error_list
from mdt.loaders import load
from mdt.teams import service
from mdt.teams.forms import TeamSettingsForm
from mdt.teams.models import Team

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.route("/<int:team_id>/settings", methods=["GET", "POST"])
@login_required
@load("team_id", role="chair")
def settings(team_id: int, team: Team):
    actor = current_actor()
    form = TeamSettingsForm(obj=team)
    if form.validate_on_submit():
        service.update_settings(actor, team_id, **{name: getattr(form, name).data
                                                   for name in service.SETTINGS})
        db.session.commit()
        flash("Team settings saved")
        return redirect(url_for("teams.settings", team_id=team_id), code=303)
    status = 400 if form.errors else 200
    return render_template("teams/settings.html", team=team, form=form,
                           errors=error_list(form)), status
