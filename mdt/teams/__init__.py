"""Teams, memberships."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.teams.views import bp

    app.register_blueprint(bp)
