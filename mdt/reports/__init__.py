"""Team figures: follow-through of actions and attendance over time (issue 13)."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.reports.views import bp

    app.register_blueprint(bp)
