"""Users, login, roles, permissions, team scoping."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.auth.views import bp

    app.register_blueprint(bp)
