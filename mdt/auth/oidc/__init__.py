"""Sign-in with the organisation's identity (OpenID Connect), beside passwords: providers
from the environment (config.py), the Authlib client (client.py), invitations and linked
identities (models.py, service.py), assurance levels (assurance.py), routes (views.py)."""


def init_app(app) -> None:
    """Registers the blueprint."""
    from mdt.auth.oidc.views import bp

    app.register_blueprint(bp)
