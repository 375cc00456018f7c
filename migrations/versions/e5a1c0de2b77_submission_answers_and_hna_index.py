"""submissions keep the first copy's answer; an index for each patient's last assessment

Revision ID: e5a1c0de2b77
Revises: c49701c39df7
Create Date: 2026-11-26 07:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5a1c0de2b77'
down_revision = 'c49701c39df7'
branch_labels = None
depends_on = None


def upgrade():
    # A double click's second copy is sent where the first went (its redirect).
    with op.batch_alter_table('submissions') as batch_op:
        batch_op.add_column(sa.Column('answer', sa.String(length=500), nullable=True))
    # The patient list and case lists find each patient's last assessment per team: without
    # this, every page read the whole ICB's assessments (EXPLAIN on seed-scale data).
    op.create_index('ix_hnas_team_patient_assessed', 'hnas',
                    ['team_id', 'patient_id', 'assessed_on'])


def downgrade():
    op.drop_index('ix_hnas_team_patient_assessed', table_name='hnas')
    with op.batch_alter_table('submissions') as batch_op:
        batch_op.drop_column('answer')
