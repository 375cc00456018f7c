"""Visits, tasks, skills, the merge engine."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.visits.views import bp

    app.register_blueprint(bp)
