"""flask --app wsgi audit verify | grants --role ROLE"""

import click
from flask import Flask
from flask.cli import AppGroup

from mdt.extensions import db


def grant_statements(role: str) -> list[str]:
    """What the app's own PostgreSQL role may do (run as the owner after each migration):
    everything on the app's tables except changing or emptying the audit trail. Not the
    owner, it cannot drop or disable the append-only triggers either."""
    if not role.replace("_", "").isalnum():
        raise click.BadParameter("a role name is letters, digits and _")
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM {role}",
    ]


def register(app: Flask) -> None:
    group = AppGroup("audit", help="The audit trail: verify its chain, grant the app's role.")

    @group.command("verify")
    def verify():
        """Walk the hash chain; name the first event altered, deleted or out of order."""
        from mdt.audit.chain import verify as walk

        verdict = walk()
        click.echo(str(verdict))
        if not verdict.ok:
            raise SystemExit(1)

    @group.command("grants")
    @click.option("--role", required=True, help="the PostgreSQL role the web app and "
                  "workers connect as")
    @click.option("--apply", "apply_now", is_flag=True, help="run them (as the owner)")
    def grants(role, apply_now):
        """Print (or apply) the grants for the app's role: INSERT and SELECT only on the
        audit trail."""
        statements = grant_statements(role)
        if apply_now:
            for statement in statements:
                db.session.execute(db.text(statement))
            db.session.commit()
        click.echo(";\n".join(statements) + ";")

    app.cli.add_command(group)
