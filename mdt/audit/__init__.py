"""Audit events: who viewed or changed what."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.audit.views import bp

    app.register_blueprint(bp)
