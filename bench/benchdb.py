"""A database of a bench's own: SQLite in the run's folder, or a new database on the
server BENCH_DATABASE_URL names (dropped afterwards). Never the database named there:
a bench must not write into a real one."""

import os
import uuid

from sqlalchemy.engine import make_url


def fresh_database(folder: str):
    """(SQLAlchemy URL, drop): call drop() when the run is over."""
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        return f"sqlite:///{folder}/bench.sqlite3", lambda: None
    import psycopg

    name = f"mdt_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return make_url(server).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False), drop
