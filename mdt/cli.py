"""flask --app wsgi create-user / seed-demo / seed-scale."""

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

    @app.cli.command("seed-scale")
    @click.option("--teams", default=500, show_default=True)
    @click.option("--patients", default=50000, show_default=True)
    @click.option("--users", default=5000, show_default=True)
    @click.option("--months", default=24, show_default=True, help="of fortnightly meetings")
    @click.option("--live", default=25, show_default=True,
                  help="teams whose meeting is running today (60 cases each)")
    @click.option("--password", default="icb-scale-bench-2026",
                  help="password for every account (12+ characters)")
    @click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
                  help="JSON for the load test: emails, password, feed tokens, meetings")
    def seed_scale_command(teams, patients, users, months, live, password, out):
        """A whole ICB of fictional data, fast, for load tests (bench/locustfile.py)."""
        import json

        from mdt.scale import ScaleError, seed_scale
        if app.config.get("MDT_ENV") == "production":
            raise click.ClickException("seed-scale refuses to run with MDT_ENV=production: "
                                       "its accounts share a published password")
        try:
            manifest = seed_scale(teams=teams, patients=patients, users=users, months=months,
                                  live=live, password=password, echo=click.echo)
        except ScaleError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        if out:
            with open(out, "w") as handle:
                json.dump(manifest, handle)
            click.echo(f"Manifest for the load test: {out}")
        click.echo(f"Password for every account: {password}")
