"""flask --app wsgi create-user / seed-demo."""

import click
from flask import Flask

from mdt.auth.models import PROFESSIONS, SKILLS
from mdt.extensions import db


def register_commands(app: Flask) -> None:
    from mdt.audit.cli import register as register_audit_commands
    from mdt.reminders.cli import register as register_reminder_commands
    register_reminder_commands(app)
    register_audit_commands(app)

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--password", required=True, help="at least 12 characters")
    @click.option("--profession", type=click.Choice(sorted(PROFESSIONS)), default="other")
    @click.option("--organisation", default="")
    @click.option("--team", "team_name", default=None, help="team name (made if new)")
    @click.option("--role", type=click.Choice(["chair", "member"]), default="member")
    @click.option("--skill", "skills", multiple=True, type=click.Choice(sorted(SKILLS)))
    @click.option("--admin", is_flag=True, help="system administrator")
    def create_user(email, name, password, profession, organisation, team_name, role, skills,
                    admin):
        """Create a user, optionally on a team."""
        from mdt.auth.service import PasswordPolicyError
        from mdt.teams.service import add_user
        try:
            user = add_user(email=email, name=name, password=password, profession=profession,
                            organisation=organisation, skills=list(skills), is_admin=admin,
                            team_name=team_name, role=role)
        except (PasswordPolicyError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        click.echo(f"Created {user.email} (id {user.id})")

    @app.cli.command("safety-table")
    @click.option("--write", is_flag=True, help="rewrite the table in the safety case report")
    def safety_table(write):
        """The hazard summary table of docs/clinical-safety/safety-case.md, from the log."""
        from mdt.safety import REPORT, load, report_with_table, table
        hazards = load()
        if write:
            REPORT.write_text(report_with_table(REPORT.read_text(), hazards))
            click.echo(f"Updated {REPORT}")
        else:
            click.echo(table(hazards))

    @app.cli.command("seed-demo")
    @click.option("--password", default="demo-password-2026",
                  help="password for every demo account (12+ characters)")
    def seed_demo(password):
        """Load a realistic demo team with fictional patients (NHS test numbers 999...)."""
        from mdt.demo import load_demo
        if app.config.get("MDT_ENV") == "production":
            raise click.ClickException("seed-demo refuses to run with MDT_ENV=production: its "
                                       "accounts share a published password")
        accounts = load_demo(password)
        db.session.commit()
        click.echo("Demo loaded. Accounts (all with the same password):")
        for email, label in accounts:
            click.echo(f"  {email:34} {label}")
        click.echo(f"Password: {password}")
