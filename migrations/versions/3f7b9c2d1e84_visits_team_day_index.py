"""an index for a team's day of visits (day board, merge suggestions)

Revision ID: 3f7b9c2d1e84
Revises: e5a1c0de2b77
Create Date: 2026-11-26 10:05:00

"""
from alembic import op

revision = '3f7b9c2d1e84'
down_revision = 'e5a1c0de2b77'
branch_labels = None
depends_on = None


def upgrade():
    # Merge suggestions and the day board read one team's day. With an index on the day
    # alone, PostgreSQL and SQLite read every team's visits that day and filter them
    # (20,000 rows for 2,000 in bench/merge_suggestions_db.py; the whole ICB's day at
    # scale); with the team alone, the team's whole history (42,000 rows there).
    with op.batch_alter_table('visits') as batch_op:
        batch_op.create_index('ix_visits_team_day', ['team_id', 'day'])


def downgrade():
    with op.batch_alter_table('visits') as batch_op:
        batch_op.drop_index('ix_visits_team_day')
