"""The front door ("/"): each person's first page after signing in."""

from datetime import timedelta

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_roles
from mdt.home.queries import front_door
from mdt.timeutil import london_today

bp = Blueprint("home", __name__)


@bp.get("/")
@shows_patient_data("front_door")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    if not team_roles():  # an administrator on no team sees no patients
        return redirect(url_for("audit.index" if current_user.is_admin
                                else "calendar.settings"))
    today = london_today()
    return render_template("home/index.html", today=today,
                           door=front_door(current_actor(), today, today + timedelta(days=7)))
