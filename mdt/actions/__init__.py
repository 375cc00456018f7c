"""Actions and the action log."""


def init_app(app) -> None:
    """Registers the blueprint, and adds to the patient page."""
    from mdt.actions import export_views  # noqa: F401  (its routes are on the blueprint)
    from mdt.actions.queries import overview_part
    from mdt.actions.views import bp
    from mdt.patients.overview import overview_parts

    app.register_blueprint(bp)
    overview_parts.connect(overview_part)  # the patient page shows them
