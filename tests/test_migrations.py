"""The migrations build exactly the schema the models describe (no drift)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mdt.extensions import db


def test_migrated_database_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_table_is_migrated(app):
    from sqlalchemy import inspect

    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
