"""status check constraints

Each status column (and a patient's pathway stage) may hold only its lifecycle's values
(mdt/<feature>/lifecycle.py). The columns stay strings; the values are written out here, as
they are today, so a later change to a lifecycle needs a migration of its own.

SQLite has no ALTER TABLE ... ADD CONSTRAINT: batch mode copies each table. Foreign keys are
switched off for the copy (dropping the old table would otherwise delete-check every row that
points at it) and checked once at the end; none of these tables has a trigger.

Revision ID: c49701c39df7
Revises: 109a8118312d
Create Date: 2026-11-26 06:24:49.707122

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c49701c39df7'
down_revision = '109a8118312d'
branch_labels = None
depends_on = None

# (table, constraint name, column, allowed values)
CHECKS = (
    ("meetings", "ck_meetings_status", "status",
     ("scheduled", "in_progress", "finished", "cancelled")),
    ("cases", "ck_cases_status", "status",
     ("listed", "discussed", "deferred", "removed", "carried_forward")),
    ("actions", "ck_actions_status", "status", ("open", "done", "cancelled")),
    ("referrals", "ck_referrals_status", "status",
     ("sent", "more_info", "accepted", "declined", "withdrawn")),
    ("visits", "ck_visits_status", "status", ("planned", "done", "cancelled", "merged")),
    ("reminders", "ck_reminders_status", "status",
     ("pending", "queued", "sending", "sent", "failed", "withdrawn")),
    ("patient_teams", "ck_patient_teams_status", "status",
     ("on_caseload", "died", "discharged", "transferred")),
    ("patients", "ck_patients_pathway_stage", "pathway_stage",
     ("living_with_cancer", "palliative", "end_of_life")),
)


def _condition(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _foreign_keys(on: bool) -> None:
    if _sqlite():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _foreign_keys(False)
    for table, name, column, values in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(name), _condition(column, values))
    if _sqlite():
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        assert not problems, problems
    _foreign_keys(True)


def downgrade():
    _foreign_keys(False)
    for table, name, _, _ in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")
    _foreign_keys(True)
