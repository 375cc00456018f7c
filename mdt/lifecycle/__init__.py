def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.lifecycle.views import bp

    app.register_blueprint(bp)
