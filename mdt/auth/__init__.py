"""Users, login, roles, permissions, team scoping."""


def init_app(app) -> None:
    """Registers the blueprint, and tells the audit (below every feature) whose teams and
    roles a read or a refusal is recorded under."""
    from mdt.auth import scope
    from mdt.auth.views import bp

    app.register_blueprint(bp)
    app.extensions["mdt_audit_scope"] = lambda: (scope.current_team_ids(), scope.team_roles())
