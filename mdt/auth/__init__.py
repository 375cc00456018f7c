"""Users, login, roles, permissions, team scoping."""


def init_app(app) -> None:
    """Registers the blueprint, and tells the audit (below every feature) whose teams and
    roles a read or a refusal is recorded under."""
    from mdt.audit import chain
    from mdt.auth import scope
    from mdt.auth.views import bp

    app.register_blueprint(bp)
    # Read with the session in the signed-in query: the audit chain's head (a view's audit
    # row is then one conditional UPDATE and its INSERT).
    app.extensions.setdefault("mdt_signed_in_extras", {})[chain.GUESS_KEY] = \
        chain.head_guess_columns
    app.extensions["mdt_audit_scope"] = lambda: (scope.current_team_ids(), scope.team_roles())
