"""An empty database of the run's kind (SQLite, or PostgreSQL when TEST_DATABASE_URL
names a server), for tests that walk the migrations by hand."""
import re
from contextlib import contextmanager

from app.extensions import db
from tests.conftest import empty_database


@contextmanager
def fresh_database(tmp_path):
    """Its URL; a PostgreSQL database is dropped afterwards."""
    with empty_database(f"rn_fresh_{re.sub(r'[^0-9]', '', str(tmp_path))[-12:]}", tmp_path) as url:
        yield url


def migrate(app, *args) -> None:
    """`flask db <args>` on the app's database, the session let go first."""
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output
