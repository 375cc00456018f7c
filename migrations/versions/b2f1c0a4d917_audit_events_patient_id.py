"""audit events name the patient they concern

Revision ID: b2f1c0a4d917
Revises: 11b169480bac
Create Date: 2026-11-26 01:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b2f1c0a4d917'
down_revision = '11b169480bac'
branch_labels = None
depends_on = None

from mdt.audit.append_only import statements  # noqa: E402
from mdt.audit.service import patient_of  # noqa: E402


def upgrade():
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('patient_id', sa.Integer(), nullable=True))
        batch.create_index('ix_audit_events_patient_id', ['patient_id'])
    # Backfill the earlier events: the one time the append-only trigger is lifted, inside
    # this migration's transaction, to fill a column that did not exist when they were written.
    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in statements(dialect, up=False):
        op.execute(statement)
    events = sa.table('audit_events', sa.column('id', sa.Integer),
                      sa.column('record_type', sa.String), sa.column('record_id', sa.Integer),
                      sa.column('changes', sa.JSON), sa.column('patient_id', sa.Integer))
    rows = bind.execute(sa.select(events.c.id, events.c.record_type, events.c.record_id,
                                  events.c.changes)).all()
    for row in rows:
        patient_id = patient_of(row.record_type, row.record_id, row.changes)
        if patient_id is not None:
            bind.execute(events.update().where(events.c.id == row.id)
                         .values(patient_id=patient_id))
    for statement in statements(dialect, up=True):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in statements(dialect, up=False):
        op.execute(statement)
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_index('ix_audit_events_patient_id')
        batch.drop_column('patient_id')
    for statement in statements(dialect, up=True):
        op.execute(statement)
