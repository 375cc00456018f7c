"""The front door: what each person needs first when they sign in."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.home.views import bp

    app.register_blueprint(bp)
