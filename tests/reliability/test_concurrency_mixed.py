"""A mixed concurrent load on PostgreSQL: several processes at once complete the same
human tasks, fire the same due timers and sign the same people in from both directions,
all interleaved — and everything happens exactly once.

What already has its own race test (not repeated here):
- tests/workflow/test_concurrency.py: two processes completing one task; two pollers
  firing 1,000 timers, each exactly once;
- tests/services/test_site_concurrency.py: four scanners scanning one worker for entry,
  clock-in and sign-in at the same moment;
- tests/services/test_separation_concurrency.py: the enterprise's agreement against the
  person's 【立即离职】.

Here the races cross: a person's 【同意】 (from two phones) against the poller expiring the
same hire request whose 7 days are up; a worker's own sign-in (direction A) against the
officer scanning the same worker (direction B); and all of it in four processes that each
run the whole shuffled list. Counted afterwards: rows, events, outcomes, and the
instance ↔ inbox ↔ timer invariants of tests/reliability/consistency.py.
"""
import multiprocessing
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Employment, HumanTask, SignIn, WorkflowTimer
from app.models.types import utcnow
from app.services import employment as employment_service
from app.workflow import timers
from tests.reliability import workers
from tests.reliability.consistency import inconsistencies
from tests.support import history
from tests.support.people import verified_person
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import staffing

SPAWN = multiprocessing.get_context("spawn")
PROCESSES = 4
HIRES = 8
SIGNERS = 6


@pytest.fixture
def s(app, world):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("row locks and concurrent writers: the PostgreSQL leg runs this")
    return staffing(world, workers=SIGNERS + 1)


def run(app, plans):
    url, folder = app.config["SQLALCHEMY_DATABASE_URI"], str(Path(app.config["UPLOAD_FOLDER"]).parent)
    barrier, results = SPAWN.Barrier(len(plans)), SPAWN.Queue()
    processes = [SPAWN.Process(target=workers.mixed_load, args=(url, folder, app.config["SECRET_KEY"], plan,
                                                                 barrier, results)) for plan in plans]
    for p in processes:
        p.start()
    outcomes = [item for _ in processes for item in results.get(timeout=240)]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    db.session.expire_all()
    return outcomes


def test_consents_expiries_and_two_way_sign_ins_race_and_each_happens_once(app, s, world):
    # Hire requests made eight days ago: the 7-day consent timer of each is due now.
    people = [verified_person(world, f"应聘{i}号") for i in range(HIRES)]
    with time_machine.travel(utcnow() - timedelta(days=8), tick=False):
        hires = [employment_service.request_hire(s.gc.hr, s.gc.enterprise, p.name, p.id_number) for p in people]
        db.session.commit()
    consent = {h.id: db.session.scalar(select(HumanTask).where(HumanTask.instance_id == h.process_instance_id,
                                                               HumanTask.status == "open")) for h in hires}
    assert {t.task_key for t in consent.values()} == {"worker_consent"}

    set_point(s.project, s.gc.pm)
    clerk, *signers = s.gc.workers
    officer(s, clerk)
    for person in signers:
        confirmed(s.project, person)
    lng, lat = site_wgs84()
    clerk_code = code_of(clerk)
    codes = {person.id: code_of(person) for person in signers}

    operations = [("fire",)] * 6
    for h, person in zip(hires, people):
        operations += [("complete", consent[h.id].id, person.user.id, {"decision": "agree", "comment": ""})] * 2
    for person in signers:
        operations += [("officer_scan", clerk.user.id, s.project.id, codes[person.id], lng, lat),
                       ("worker_sign_in", person.user.id, s.project.id, clerk_code, lng, lat)]
    plans = []
    for n in range(PROCESSES):
        plan = list(operations)
        random.Random(n).shuffle(plan)
        plans.append(plan)

    outcomes = run(app, plans)

    errors = [(op, outcome) for op, outcome in outcomes if outcome.startswith("error")]
    assert errors == []
    # Each hire: consented exactly once, or expired — never both, never neither.
    for h in hires:
        employment = db.session.get(Employment, h.id)
        oks = sum(1 for op, outcome in outcomes if op[0] == "complete" and op[1] == consent[h.id].id and outcome == "ok")
        completions = history.count(h.process_instance_id, "task_completed")
        assert (employment.status, oks, completions) in {("pending_registration", 1, 1), ("expired", 0, 0)}, \
            (h.id, employment.status, oks, completions)
        registration = db.session.scalars(select(HumanTask.task_key).where(
            HumanTask.instance_id == h.process_instance_id, HumanTask.status == "open")).all()
        assert registration == (["employment_registration"] if employment.status == "pending_registration" else [])
    # Each signer: one sign-in row, and exactly one of the eight attempts created it.
    for person in signers:
        created = [outcome for op, outcome in outcomes if op[0] in ("officer_scan", "worker_sign_in")
                   and (op[3] == codes[person.id] if op[0] == "officer_scan" else op[1] == person.user.id)
                   and outcome == "signed_in"]
        assert len(created) == 1
        assert db.session.scalar(select(func.count()).select_from(SignIn).where(SignIn.person_id == person.id)) == 1
    tally = Counter(outcome.split(":")[0] for _, outcome in outcomes)
    assert tally["refused"] > 0  # the races really met
    # Nothing due is left behind, and instances, inbox rows and timer rows agree.
    assert db.session.scalar(select(func.count()).select_from(WorkflowTimer).where(WorkflowTimer.due_at <= utcnow())) == 0
    assert timers.fire_due() == 0
    assert inconsistencies() == []
