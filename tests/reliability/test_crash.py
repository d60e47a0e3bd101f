"""Crash recovery on PostgreSQL: the real servers — gunicorn (as bench/morning_peak.py
starts it: `wsgi:app`, configured from the environment) and `flask scheduler run` (the
timer poller) — are killed with SIGKILL, master and workers together, in the middle of
a load over HTTP; restarted; the load finishes. Then:

- every instance is consistent with its inbox rows and timer rows (consistency.py);
- no timer is lost: every timer that was due has fired, exactly once;
- every sign-in and every resignation happened exactly once;
- every request that got a 2xx answer is durable.

The load, from client threads that retry through the outage: workers' sign-ins, new
resignations, the enterprise agreeing to resignations, and people pressing 【立即离职】 on
resignations whose 24 hours are up — which they can only do once the poller has fired
the 24-hour timer, so that part of the load waits on the poller surviving the crash.
"""
import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Employment, HumanTask, ProcessEvent, ProcessInstance, Separation, SignIn, WorkflowTimer
from app.models.types import utcnow
from app.services import accounts, employment as employment_service, separation
from tests.reliability.consistency import inconsistencies
from tests.support.people import verified_person
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.serving import ROOT, free_port, spawn_gunicorn
from tests.support.staffing import employee, staffing

SIGNERS, NEW_RESIGNERS, OLD_RESIGNERS, OLD_HIRES = 24, 10, 12, 6
CLIENTS = 6
KILL_AFTER = 0.35  # of the jobs answered


@pytest.fixture
def pg(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("several server processes on one database: the PostgreSQL leg runs this")
    return app


class Servers:
    """gunicorn and the scheduler, each in its own process group, killable at once."""

    def __init__(self, app, tmp_path: Path):
        self.tmp, self.port = tmp_path, free_port()
        self.env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "SECRET_KEY": app.config["SECRET_KEY"], "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
                    "KEY_FOLDER": app.config["KEY_FOLDER"], "BANK_OUTBOX": app.config["BANK_OUTBOX"],
                    "TIMER_POLL_SECONDS": "1", "FLASK_APP": "wsgi"}
        self.processes: list[subprocess.Popen] = []
        self.starts = 0

    def start(self):
        self.starts += 1
        log = self.tmp / f"servers-{self.starts}.log"
        gunicorn = spawn_gunicorn("wsgi:app", port=self.port, workers=2, env=self.env,
                                  folder=self.tmp / f"ready-{self.starts}", log=log, options=("--timeout", "60"),
                                  timeout=60)
        with open(log, "ab") as out:
            scheduler = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"], cwd=ROOT,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes = [gunicorn, scheduler]

    def kill(self):
        """SIGKILL to every process of both groups: no handler runs, nothing is flushed."""
        for p in self.processes:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.processes:
            p.wait(timeout=10)

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def log(self) -> str:
        return "".join(p.read_text(errors="replace")[-2000:] for p in sorted(self.tmp.glob("servers-*.log")))


class Load:
    """Client threads sharing a queue of jobs; a job is retried through connection errors
    (the outage) until it gets an answer; what each job got last is kept."""

    def __init__(self, port: int):
        self.port, self.jobs, self.answers = port, queue.SimpleQueue(), {}
        self.answered = 0
        self.lock = threading.Lock()

    def request(self, method, path, token, body=None, deadline=None) -> tuple[int, dict]:
        deadline = deadline or time.monotonic() + 120
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                conn.request(method, path, json.dumps(body) if body is not None else None, headers)
                response = conn.getresponse()
                text = response.read()
                return response.status, (json.loads(text) if text else {})
            except (ConnectionError, http.client.HTTPException, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # the server is down: try again, as a phone would
            finally:
                conn.close()

    def run(self, clients: int):
        def client():
            while True:
                try:
                    key, job = self.jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    answer = job(self)
                except Exception as error:  # recorded; the test fails on it
                    answer = ("exception", repr(error))
                with self.lock:
                    self.answers.setdefault(key, []).append(answer)
                    self.answered += 1

        self.threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for t in self.threads:
            t.start()

    def join(self, timeout: float):
        for t in self.threads:
            t.join(timeout)
        assert not any(t.is_alive() for t in self.threads), "the load did not finish"


def _token(user) -> str:
    token, _row = accounts.issue_token(user, 12)
    return token


def _first_answer_durable(answers):
    """A retried job's answers: the first 2xx (if any) is what the caller was told."""
    return [a for a in answers if isinstance(a, tuple) and isinstance(a[0], int) and 200 <= a[0] < 300]


def test_sigkill_mid_load_loses_nothing_and_does_nothing_twice(pg, world, tmp_path):
    s = staffing(world, workers=0)
    gc = s.gc.enterprise
    set_point(s.project, s.gc.pm)
    clerk = employee(world, gc)
    officer(s, clerk)
    signers = [employee(world, gc) for _ in range(SIGNERS)]
    for person in signers:
        confirmed(s.project, person)
    new_resigners = [employee(world, gc) for _ in range(NEW_RESIGNERS)]
    old_resigners = [employee(world, gc) for _ in range(OLD_RESIGNERS)]
    applicants = [verified_person(world, f"待聘{i}号") for i in range(OLD_HIRES)]
    # Made in the past, so their timers are due as the servers start: 24 h and 7 days.
    with time_machine.travel(utcnow() - timedelta(days=8), tick=False):
        hires = [employment_service.request_hire(s.gc.hr, gc, p.name, p.id_number) for p in applicants]
        db.session.commit()
    with time_machine.travel(utcnow() - timedelta(hours=25), tick=False):
        old = [separation.apply_resignation(p.user, "家中有事") for p in old_resigners]
        db.session.commit()
    due_instances = {h.process_instance_id for h in hires} | {r.process_instance_id for r in old}
    agree_task = {r.id: db.session.scalar(select(HumanTask.id).where(
        HumanTask.instance_id == r.process_instance_id, HumanTask.task_key == "enterprise_agree")) for r in old}
    tokens = {p.id: _token(p.user) for p in [*signers, *new_resigners, *old_resigners]}
    hr_token = _token(s.gc.hr)
    db.session.commit()
    lng, lat = site_wgs84()
    clerk_code = code_of(clerk)  # valid 120 s: the whole load takes less

    load = Load(0)
    for person in signers:
        load.jobs.put((("signin", person.id), lambda ld, p=person: ld.request(
            "POST", "/api/v1/me/signins", tokens[p.id],
            {"project_id": s.project.id, "officer_token": clerk_code, "lng": lng, "lat": lat, "coord_system": "wgs84"})))
    for person in new_resigners:
        load.jobs.put((("resign", person.id), lambda ld, p=person: ld.request(
            "POST", "/api/v1/me/resignation", tokens[p.id], {"reason": "回老家"})))
    agreed, immediate = old[: OLD_RESIGNERS // 2], old[OLD_RESIGNERS // 2:]
    for r in agreed:
        load.jobs.put((("agree", r.id), lambda ld, r=r: ld.request(
            "POST", f"/api/v1/tasks/{agree_task[r.id]}/complete", hr_token, {"data": {"decision": "agree"}})))

    def press_immediate(ld, r, person_token):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the button appears once the poller has fired the 24 h timer
            status, body = ld.request("GET", "/api/v1/tasks?process_key=resignation", person_token)
            mine = [t for t in body.get("items", []) if t["task_key"] == "immediate_resignation"]
            if mine:
                return ld.request("POST", f"/api/v1/tasks/{mine[0]['id']}/complete", person_token,
                                  {"data": {"confirm": True}})
            time.sleep(0.3)
        return ("exception", "the 立即离职 task never appeared")

    for r in immediate:
        load.jobs.put((("immediate", r.id), lambda ld, r=r: press_immediate(ld, r, tokens[r.person_id])))
    total = SIGNERS + NEW_RESIGNERS + OLD_RESIGNERS

    servers = Servers(pg, tmp_path)
    servers.start()
    load.port = servers.port
    try:
        load.run(CLIENTS)
        deadline = time.monotonic() + 120
        while load.answered < total * KILL_AFTER:
            assert time.monotonic() < deadline, servers.log()
            time.sleep(0.02)
        servers.kill()
        killed_at = load.answered
        time.sleep(1.5)  # clients meet a dead port meanwhile
        servers.start()
        load.join(timeout=240)
        deadline = time.monotonic() + 60  # the poller catches up on what fell due
        while db.session.scalar(select(func.count()).select_from(WorkflowTimer).where(WorkflowTimer.due_at <= utcnow())):
            assert time.monotonic() < deadline, "due timers were not fired after the restart"
            time.sleep(0.5)
            db.session.rollback()
    finally:
        servers.stop()
    db.session.expire_all()

    assert 0 < killed_at < total, "the crash must fall in the middle of the load"
    exceptions = {k: a for k, answers in load.answers.items() for a in answers if a[0] == "exception"}
    assert exceptions == {}, servers.log()
    assert len(load.answers) == total
    for key, answers in load.answers.items():
        assert all(a[0] < 500 for a in answers), (key, answers, servers.log())
        assert _first_answer_durable(answers) or answers[-1][0] == 409, (key, answers)

    assert inconsistencies() == []
    # Sign-ins: one each, whatever the retries.
    for person in signers:
        assert db.session.scalar(select(func.count()).select_from(SignIn).where(SignIn.person_id == person.id)) == 1
    # New resignations: one pending each, its flow waiting on the enterprise with its 24 h timer armed.
    for person in new_resigners:
        rows = db.session.scalars(select(Separation).where(Separation.person_id == person.id)).all()
        assert [r.status for r in rows] == ["pending"]
        assert db.session.get(WorkflowTimer, rows[0].process_instance_id) is not None
        assert db.session.scalar(select(Employment.status).where(Employment.person_id == person.id)) == "resigning"
    # Old resignations, agreed or ended by 【立即离职】: completed once each.
    for r in old:
        db.session.refresh(r)
        assert r.status == "completed", (r.id, r.status)
        assert db.session.get(Employment, r.employment_id).status == "ended"
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "separation.resignation_completed",
            AuditEntry.record_id == str(r.employment_id))) == 1
    assert [r.completed_by for r in agreed] == ["enterprise"] * len(agreed)
    assert [r.completed_by for r in immediate] == ["person"] * len(immediate)
    # Timers: each that was due fired exactly once, none is left due; the hires expired.
    for instance_id in due_instances:
        fired = db.session.scalar(select(func.count()).select_from(ProcessEvent).where(
            ProcessEvent.instance_id == instance_id, ProcessEvent.kind == "timer_fired"))
        instance = db.session.get(ProcessInstance, instance_id)
        agreed_before_firing = instance.process_key == "resignation" and fired == 0 and instance.status == "completed"
        assert fired == 1 or agreed_before_firing, (instance_id, instance.process_key, fired)
    for h in hires:
        assert db.session.get(Employment, h.id).status == "expired"
