"""Shared helpers: a migrated app on a throw-away database, timing, table rows."""
import contextlib
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FAST_HASH = "pbkdf2:sha256:1000"  # as the tests: real hashing at a low cost
SIMPLE_APPROVAL = Path(__file__).resolve().parent.parent / "tests" / "workflow" / "fixtures" / "simple_approval.bpmn"


def _conninfo(url: str) -> str:
    u = make_url(url)
    info = f"host={u.host or '127.0.0.1'} port={u.port or 5432} user={u.username or 'postgres'} " \
           f"dbname={u.database or 'postgres'}"
    return info + (f" password={u.password}" if u.password else "")


def admin_sql(statement: str) -> None:
    with psycopg.connect(_conninfo(ADMIN_URL), autocommit=True) as conn:
        conn.execute(statement)


@contextlib.contextmanager
def bench_app(kind: str, name: str, engine_options: dict | None = None):
    """Yields a Flask app (inside its app context) on a freshly migrated database:
    `kind` is "postgresql" (database rn_bench_<name>, dropped afterwards) or "sqlite"
    (a file in a temporary directory). Migrated with `flask db upgrade`, as the tests do."""
    with tempfile.TemporaryDirectory(prefix="rn_bench_") as tmp:
        db_name = "rn_bench_" + re.sub(r"\W", "", name)
        if kind == "postgresql":
            admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            admin_sql(f'CREATE DATABASE "{db_name}"')
            url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=db_name)
            url = url.render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp}/bench.sqlite3"
        config = {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                  "PASSWORD_HASH_METHOD": FAST_HASH, "UPLOAD_FOLDER": f"{tmp}/uploads",
                  "KEY_FOLDER": f"{tmp}/keys", "BANK_OUTBOX": f"{tmp}/outbox"}
        if engine_options:
            config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
        try:
            app = create_app(config)
            with app.app_context():  # this app's, even inside another bench_app (the CLI would reuse that one's)
                result = app.test_cli_runner().invoke(args=["db", "upgrade"])
            if result.exit_code != 0:
                raise RuntimeError(f"db upgrade failed: {result.output}")
            with app.app_context():
                try:
                    yield app
                finally:
                    db.session.remove()
                    db.engine.dispose()
        finally:
            if kind == "postgresql":
                admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def durable_commit_ms(n: int = 200) -> float:
    """Milliseconds of one INSERT + COMMIT on a plain table: the server's fsync floor."""
    with psycopg.connect(_conninfo(ADMIN_URL)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS rn_bench_commit (x int)")
        conn.commit()
        t0 = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO rn_bench_commit VALUES (%s)", (i,))
            conn.commit()
        elapsed = time.perf_counter() - t0
        conn.execute("DROP TABLE rn_bench_commit")
        conn.commit()
    return elapsed / n * 1000


def deploy_simple_approval():
    """The fixture diagram as a deployed definition (it names only registered lanes/forms)."""
    from app.workflow import definitions
    definition, _ = definitions.deploy(SIMPLE_APPROVAL.read_text(encoding="utf-8"), "bench")
    db.session.commit()
    return definition


def timed(fn, repeat: int) -> list[float]:
    """Seconds of each of `repeat` calls of fn()."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1] if p < 100 else ordered[-1]


def row(benchmark, figure, unit, goal="-", verdict="info") -> dict:
    return {"benchmark": benchmark, "figure": figure, "unit": unit, "goal": goal, "verdict": verdict}


def met(ok: bool) -> str:
    return "met" if ok else "MISSED"
