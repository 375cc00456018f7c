"""Referrals to the meeting: a structured request for discussion, triaged by the chair."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.referrals.views import bp

    app.register_blueprint(bp)
