"""The audit log's pages: who viewed or changed what, searched by chairs and admins. Above
the features whose records it names (users, teams, patients); the audit itself, written by
every feature, is mdt.audit, below them all."""


def init_app(app) -> None:
    """Registers the blueprint (named "audit", as its pages always were)."""
    from mdt.audit_log.views import bp

    app.register_blueprint(bp)
