"""The patient record, key information, key worker history, HNA due dates."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.patients import care_views  # noqa: F401  (its routes are on the blueprint)
    from mdt.patients.views import bp

    app.register_blueprint(bp)
