"""An empty database of the run's kind (SQLite, or PostgreSQL when TEST_DATABASE_URL
names a server), for tests that walk the migrations by hand."""
import re
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from app.extensions import db
from tests.conftest import PG_SERVER, _pg_admin_conninfo


@contextmanager
def fresh_database(tmp_path):
    """Its URL; a PostgreSQL database is dropped afterwards."""
    if not PG_SERVER:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"rn_fresh_{re.sub(r'[^0-9]', '', str(tmp_path))[-12:]}"
    with psycopg.connect(_pg_admin_conninfo(PG_SERVER), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_SERVER).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(_pg_admin_conninfo(PG_SERVER), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(app, *args) -> None:
    """`flask db <args>` on the app's database, the session let go first."""
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output
