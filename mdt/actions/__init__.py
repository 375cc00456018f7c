"""Actions and the action log."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.actions import export_views  # noqa: F401  (its routes are on the blueprint)
    from mdt.actions.views import bp

    app.register_blueprint(bp)
