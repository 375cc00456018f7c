def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.care_plans.views import bp

    app.register_blueprint(bp)
