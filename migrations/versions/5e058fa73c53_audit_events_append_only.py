"""audit events append-only

Revision ID: 5e058fa73c53
Revises: de34932be46c
Create Date: 2026-11-24 13:16:50.898377

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e058fa73c53'
down_revision = 'de34932be46c'
branch_labels = None
depends_on = None


# The SQL lives in mdt/audit/append_only.py (the test fixtures use it too); copied here as
# text would drift, and this migration must keep meaning the same thing: it only reads lists.
from mdt.audit.append_only import statements  # noqa: E402


def upgrade():
    for statement in statements(op.get_bind().dialect.name, up=True):
        op.execute(statement)


def downgrade():
    for statement in statements(op.get_bind().dialect.name, up=False):
        op.execute(statement)
