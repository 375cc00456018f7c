"""Meetings, series, case lists, the live meeting, outcomes and attendance."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.meetings import death_views, live_views  # noqa: F401  (routes on the blueprint)
    from mdt.meetings.views import bp

    app.register_blueprint(bp)
