"""Importing a caseload from a GP system's search (CSV)."""


def init_app(app) -> None:
    """Registers the blueprint, and lets an upload be larger than an ordinary form: this
    runs before the CSRF check reads the form (an import's file may pass the 1 MB limit)."""
    from mdt.imports.views import bp, raise_upload_limit

    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, raise_upload_limit)
