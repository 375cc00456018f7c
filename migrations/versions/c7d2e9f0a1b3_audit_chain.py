"""audit events chained by hash; TRUNCATE refused on PostgreSQL

Revision ID: c7d2e9f0a1b3
Revises: 56554eb01025
Create Date: 2026-11-26 01:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c7d2e9f0a1b3'
down_revision = '56554eb01025'
branch_labels = None
depends_on = None

from mdt.audit.append_only import TRUNCATE_DOWN, TRUNCATE_UP, statements  # noqa: E402
from mdt.audit.chain import digest  # noqa: E402


def upgrade():
    op.create_table('audit_chain_head',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('last_hash', sa.String(length=64), nullable=False),
                    sa.Column('events', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')))
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('address', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    dialect = bind.dialect.name
    # Chain the events written before this release, oldest first (the one time the
    # append-only triggers are lifted, inside this migration's transaction).
    for statement in statements(dialect, up=False):
        op.execute(statement)
    events = sa.table('audit_events', *(sa.column(name) for name in (
        'id', 'at', 'user_id', 'role', 'team_id', 'action', 'record_type', 'record_id',
        'patient_id', 'outcome', 'address')), sa.column('changes', sa.JSON),
        sa.column('prev_hash'), sa.column('hash'))
    previous, count = '', 0
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        value = digest(previous, _Row(row))
        bind.execute(events.update().where(events.c.id == row.id)
                     .values(prev_hash=previous, hash=value))
        previous, count = value, count + 1
    head = sa.table('audit_chain_head', sa.column('id'), sa.column('last_hash'),
                    sa.column('events'))
    bind.execute(head.insert().values(id=1, last_hash=previous, events=count))
    for statement in statements(dialect, up=True):
        op.execute(statement)
    if dialect == 'postgresql':
        for statement in TRUNCATE_UP:
            op.execute(statement)


class _Row:
    """A row as digest() reads it (the timestamp as stored: aware on PostgreSQL, naive
    UTC on SQLite)."""

    def __init__(self, row):
        from datetime import datetime, timezone

        self.__dict__.update(row._mapping)
        if isinstance(self.at, str):
            self.at = datetime.fromisoformat(self.at)
        if self.at.tzinfo is None:
            self.at = self.at.replace(tzinfo=timezone.utc)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        for statement in TRUNCATE_DOWN:
            op.execute(statement)
    for statement in statements(dialect, up=False):
        op.execute(statement)
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('hash')
        batch.drop_column('prev_hash')
        batch.drop_column('address')
    op.drop_table('audit_chain_head')
    for statement in statements(dialect, up=True):
        op.execute(statement)
