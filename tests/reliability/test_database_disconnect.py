"""A database connection that the server ends (a restart, a failover, an administrator's
pg_terminate_backend) costs at most the one request that was using it: the pool
checks every connection it hands out (app/db_liveness.py) — to web workers and to the
scheduler, which share the engine — and a connection lost in the middle of a request is a 503
with Retry-After that changed nothing, never a 500. The connections are ended by a real
pg_terminate_backend, between requests, inside one, and at random during a burst
against gunicorn. PostgreSQL only."""
import http.client
import json
import logging
import os
import re
import signal
import threading
import time
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import User
from app.services import accounts
from tests.reliability.test_hostile_text import LEAK
from tests.support.factories import PASSWORD, auth, log_in, token
from tests.support.identifiers import make_card_number
from tests.support.serving import free_port, spawn_gunicorn

UNAVAILABLE = "数据库暂时无法连接，请稍后重试。"
OTHER_BACKENDS = ("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database()"
                  " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")


@pytest.fixture
def pg(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("pg_terminate_backend ends server connections: the PostgreSQL leg runs this")
    return app


def admin_connection(app) -> psycopg.Connection:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    return psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                           dbname=url.database, autocommit=True)


def end_backends(admin, where: str = "", params: tuple = ()) -> int:
    """pg_terminate_backend on the database's other client connections; how many ended."""
    return sum(1 for (ended,) in admin.execute(OTHER_BACKENDS + where, params).fetchall() if ended)


@contextmanager
def backend_ended_before(app, statement: str = ""):
    """The connection that next runs a statement starting with `statement` is ended by the
    server just before it runs (pg_terminate_backend waits until the backend is gone)."""
    state = {"armed": True, "ended": 0}
    admin = admin_connection(app)

    def end_it(conn, cursor, sql, parameters, context, executemany):
        if state["armed"] and sql.lstrip().upper().startswith(statement.upper()):
            state["armed"] = False
            pid = conn.connection.dbapi_connection.info.backend_pid
            state["ended"] += admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]

    event.listen(db.engine, "before_cursor_execute", end_it)
    try:
        yield state
    finally:
        event.remove(db.engine, "before_cursor_execute", end_it)
        admin.close()


def unavailable(response):
    assert response.status_code == 503, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.headers["Retry-After"] == "5"


def test_a_pooled_connection_ended_between_requests_is_replaced_unseen(pg, client, world):
    tok = token(client, world.user())
    assert client.get("/api/v1/me", headers=auth(tok)).status_code == 200  # its connection is back in the pool
    with admin_connection(pg) as admin:
        assert end_backends(admin) >= 1
    for _ in range(3):
        assert client.get("/api/v1/me", headers=auth(tok)).status_code == 200


def test_a_connection_ended_mid_request_is_503_then_the_next_request_works(pg, client, world):
    user = world.user()
    tok = token(client, user)
    with backend_ended_before(pg) as ended:
        response = client.get("/api/v1/me", headers=auth(tok))
    assert ended["ended"] == 1
    unavailable(response)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["detail"] == UNAVAILABLE and not LEAK.search(problem["detail"]), problem
    assert client.get("/api/v1/me", headers=auth(tok)).status_code == 200

    # a write whose connection dies before it commits: 503, nothing kept, and the retry works
    body = {"username": "mid_flight", "password": PASSWORD, "name": "周明", "phone": "13912345678"}
    with backend_ended_before(pg, "INSERT") as ended:
        response = client.post("/api/v1/accounts", json=body)
    assert ended["ended"] == 1
    unavailable(response)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "mid_flight")) == 0
    assert client.post("/api/v1/accounts", json=body).status_code == 201

    # a page: the error page, with Retry-After
    log_in(client, user)
    with backend_ended_before(pg) as ended:
        response = client.get("/")
    assert ended["ended"] == 1
    unavailable(response)
    assert response.mimetype == "text/html" and UNAVAILABLE in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_the_scheduler_pre_pings_and_its_next_run_works(pg, caplog, monkeypatch):
    """`flask scheduler run` builds its jobs on the app's own engine: a connection ended
    between runs goes unnoticed; one ended during a run fails that run only."""
    from app.workflow.scheduler import build

    [timers] = [job for job in build(pg).get_jobs() if job.id == "timers"]
    caplog.set_level(logging.ERROR, logger="app.workflow.scheduler")

    def failed_runs():
        return [r for r in caplog.records if r.getMessage() == "scheduled job failed"]

    timers.func()
    with admin_connection(pg) as admin:
        assert end_backends(admin) >= 1
    timers.func()
    assert failed_runs() == []
    with backend_ended_before(pg) as ended:
        timers.func()
    assert ended["ended"] == 1 and len(failed_runs()) == 1
    timers.func()
    assert len(failed_runs()) == 1


# --- a burst against the real server ------------------------------------------------------------------

CLIENTS, REQUESTS_EACH = 6, 40


def _call(port: int, method: str, path: str, tok: str, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None,
                     {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_connections_ended_during_a_burst_cost_no_500(pg, world, tmp_path):
    users = [world.user() for _ in range(CLIENTS)]
    tokens = [accounts.issue_token(u, 12)[0] for u in users]
    db.session.commit()
    url = make_url(pg.config["SQLALCHEMY_DATABASE_URI"]).update_query_dict({"application_name": "rn_burst"})
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False),
           "SECRET_KEY": pg.config["SECRET_KEY"], "UPLOAD_FOLDER": pg.config["UPLOAD_FOLDER"],
           "KEY_FOLDER": pg.config["KEY_FOLDER"], "BANK_OUTBOX": pg.config["BANK_OUTBOX"]}
    port = free_port()
    server = spawn_gunicorn("wsgi:app", port=port, workers=2, env=env, folder=tmp_path / "ready",
                            log=tmp_path / "gunicorn.log", options=("--timeout", "60"))
    answers, ended, stop = [], [], threading.Event()

    def end_repeatedly():
        with admin_connection(pg) as admin:
            while not stop.is_set():
                ended.append(end_backends(admin, " AND application_name = %s", ("rn_burst",)))
                time.sleep(0.02)

    def client(n: int):
        card = {"bank_name": "中国建设银行", "card_number": make_card_number(seed=n)}
        for i in range(REQUESTS_EACH):
            method, path, body = [("GET", "/api/v1/me", None), ("PUT", "/api/v1/me/bank-card", card),
                                  ("GET", "/api/v1/tasks", None), ("GET", "/api/v1/me/wages", None)][i % 4]
            answers.append((path, *_call(port, method, path, tokens[n], body)))

    try:
        killer = threading.Thread(target=end_repeatedly, daemon=True)
        clients = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        killer.start()
        for t in clients:
            t.start()
        for t in clients:
            t.join(240)
        stop.set()
        killer.join(10)
        assert not any(t.is_alive() for t in clients)
        after = [_call(port, "GET", "/api/v1/me", tokens[n % CLIENTS])[0] for n in range(20)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    assert sum(ended) > 0, "no connection was ended: the test proved nothing"
    statuses = [status for _, status, _, _ in answers]
    assert len(statuses) == CLIENTS * REQUESTS_EACH
    assert 500 not in statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
    for path, status, headers, body in answers:
        if status == 503:
            problem = json.loads(body)
            assert headers["Retry-After"] == "5" and headers["Content-Type"] == "application/problem+json"
            assert problem["detail"] == UNAVAILABLE, problem
    assert statuses.count(503) < len(statuses) / 2, f"{statuses.count(503)} of {len(statuses)} were 503"
    assert after == [200] * 20
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert not re.search(r"unhandled error", log), log[-3000:]


def test_a_connection_handed_out_again_at_once_costs_no_ping(pg, monkeypatch):
    """The check that replaced pool_pre_ping pings only a connection the server spoke on
    or one left unused for PING_AFTER_IDLE seconds: not one round trip per transaction."""
    from app import db_liveness

    pings = []
    answers = db_liveness._answers
    monkeypatch.setattr(db_liveness, "_answers", lambda conn: pings.append(1) or answers(conn))
    for _ in range(3):
        assert db.session.scalar(select(func.count()).select_from(User)) >= 0
        db.session.commit()
    assert pings == []
    monkeypatch.setattr(db_liveness, "PING_AFTER_IDLE", 0.0)
    db.session.scalar(select(func.count()).select_from(User))
    db.session.commit()
    assert pings == [1]
