"""Test harness: one migrated database per xdist worker (SQLite by default,
PostgreSQL when TEST_DATABASE_URL names a server), emptied after every test."""
import contextvars
import os
from contextlib import contextmanager
import re

import hypothesis
import psycopg
import pytest
from hypothesis.internal.conjecture import junkdrawer
from sqlalchemy import text
from sqlalchemy.engine import make_url

from flask.testing import FlaskClient

from app import create_app
from app.extensions import db

# Hypothesis times garbage collection with a gc callback written in Python. The suite's one
# Ctrl+C (test_cli stops `flask scheduler run` with SIGINT to the main thread) is raised in
# whatever Python code runs next on that thread; when that is the callback, during a
# collection, Python can only print it ("Exception ignored in: gc_callback … KeyboardInterrupt")
# — a traceback at the end of a green `make test`. So the callback is never installed; GC
# time then counts as test time, so per-example deadlines (already flaky on a busy machine)
# are off: correctness is what these tests check, bench/ measures speed.
junkdrawer._gc_initialized = True
hypothesis.settings.register_profile("suite", deadline=None)
hypothesis.settings.load_profile("suite")

PG_SERVER = os.environ.get("TEST_DATABASE_URL", "")
FAST_HASH = "pbkdf2:sha256:1000"  # real hashing, lower cost: thousands of sign-ups per run


def base_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "KEY_FOLDER": str(tmp_path / "keys"),
        "BANK_OUTBOX": str(tmp_path / "outbox"),
    }


def _pg_admin_conninfo(url: str) -> str:
    u = make_url(url)
    return f"host={u.host or '127.0.0.1'} port={u.port or 5432} user={u.username or 'postgres'} dbname={u.database or 'postgres'}"


@contextmanager
def empty_database(name: str, folder):
    """The URL of an empty database of the run's kind: PostgreSQL database `name` (made
    anew, dropped afterwards) when TEST_DATABASE_URL names a server, else a SQLite file in
    `folder`."""
    if not PG_SERVER:
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    with psycopg.connect(_pg_admin_conninfo(PG_SERVER), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_SERVER).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(_pg_admin_conninfo(PG_SERVER), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    """A freshly migrated database for this worker, built with `flask db upgrade`."""
    # the pid keeps two runs at once (two checkouts, CI beside a developer) apart
    name = "rn_test_" + re.sub(r"\W", "", worker_id) + f"_{os.getpid()}"
    with empty_database(name, tmp_path_factory.mktemp("db")) as url:
        app = create_app(base_config(url, tmp_path_factory.mktemp("migrate")))
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.engine.dispose()
        yield url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(base_config(database_url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


def empty_all_tables():
    tables = [t for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as on a real server.

    The `app` fixture keeps an app context open for the test's own queries; without
    this, requests would share it — and its database session and cached locale — so a
    view that forgot to commit would still look right to the test.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # the test's session must re-read what the request changed
        return response


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def world(app):
    """Factories bound to this test's database (see tests/support/factories.py)."""
    from tests.support.factories import World
    return World(app)
