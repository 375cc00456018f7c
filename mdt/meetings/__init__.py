"""Meetings, series, case lists, the live meeting, outcomes and attendance."""


def init_app(app) -> None:
    """Registers the blueprint, and adds to the patient page."""
    from mdt.meetings import death_views, live_views  # noqa: F401  (routes on the blueprint)
    from mdt.meetings.queries import overview_part
    from mdt.meetings.views import bp
    from mdt.patients.overview import overview_parts

    app.register_blueprint(bp)
    overview_parts.connect(overview_part)  # the patient page shows them
