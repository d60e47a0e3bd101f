"""Throughput of the two-user-task diagram (tests/workflow/fixtures/simple_approval.bpmn)
against its floor on this machine.

(b) Through the app: runtime.start(...) + commit, then each of the two tasks fetched with
    its instance (as the API's fetch) and completed with runtime.complete(row, user, data)
    (which commits), one transaction per call as the API does; on SQLite (a file) and on
    PostgreSQL.
Floor: the least any implementation of (b) could spend on PostgreSQL here — the runtime's
    own engine work, and the same rows written by hand-written SQL in psycopg pipeline
    mode: 9 statements in 5 round trips and 3 durable commits per instance, no ORM, no
    checks (`_floor_runner`).
(a) SpiffWorkflow alone, in memory, serialize + deserialize after every step: context only.

Goal: b/floor ≥ 0.6 on PostgreSQL, the median of 5 interleaved rounds (b on SQLite, b on
PostgreSQL, floor, again), each ratio from neighbouring measurements.
Measured 2026-12-03 (issue 21). Before the hot path left the unit of work: 16
statements per instance, b/floor 0.15–0.33. Then 14 statements, b/floor 0.38. Now 10
statements on SQLite and 6 on PostgreSQL (the history read from the instance and inbox
rows, the subject in one SELECT, a step's writes in one WITH statement), and no ping per
transaction: quick runs 0.49–0.52, the full `make bench` 0.49 (rounds 0.28–0.86 on a
noisy VM: durable commit 1.5 ms), 22.9 ms per instance against the floor's 10.9. Of (b)'s
time on PostgreSQL, 3.4 ms is the engine and 7.6 ms the driver (6 statements, 3 BEGINs
psycopg sends as round trips of their own, 3 commits); the rest is SQLAlchemy's ORM and
Core execution and the app (about 7 ms). What 0.6 would take: the BEGIN sent with the
first statement (psycopg pipeline mode under SQLAlchemy), the task fetch without ORM
objects, and the instance's state serialized without SpiffWorkflow's dict round trip.
"""
import contextlib
import statistics
import time

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench.common import SIMPLE_APPROVAL, bench_app, deploy_simple_approval, durable_commit_ms, met, row

KEY = "simple_approval"
DATA = {"approve": {"decision": "agree", "comment": ""}, "acknowledge": {"confirm": True}}
GOAL = 0.6  # b/floor on PostgreSQL (issue 21)


def _rate(one, n: int, warmup: int) -> float:
    """Calls of one() per second over n calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        one()
    t0 = time.perf_counter()
    for _ in range(n):
        one()
    return n / (time.perf_counter() - t0)


def _spiff_rate(n: int, warmup: int) -> float:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(SIMPLE_APPROVAL))
    spec, subprocess_specs = parser.get_spec(KEY), parser.get_subprocess_specs(KEY)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def roundtrip(wf):
        return serializer.deserialize_json(serializer.serialize_json(wf))

    def one():
        wf = BpmnWorkflow(spec, subprocess_specs)
        wf.task_tree.data.update({"enterprise_id": 1, "person_id": 1})
        wf.do_engine_steps()
        wf = roundtrip(wf)
        for _ in range(2):
            [task] = wf.get_tasks(state=TaskState.READY, manual=True)
            task.data.update(DATA[task.task_spec.bpmn_id])
            task.run()
            wf.do_engine_steps()
            wf = roundtrip(wf)
        assert wf.is_completed()

    return _rate(one, n, warmup)


def _parties(app):
    """An enterprise, its HR (who approves) and a person (who acknowledges), and the subject."""
    from tests.support.factories import World
    world = World(app)
    enterprise = world.enterprise()
    hr, person_user = world.hr_admin(enterprise), world.user()
    return hr, person_user, {"enterprise_id": enterprise.id, "person_id": person_user.person.id}


def _runtime_runner(stack, kind: str):
    """one() of (b) on a migrated database of `kind`, and the app it runs in."""
    from app.extensions import db
    from app.models import HumanTask, ProcessInstance
    from app.workflow import runtime

    app = stack.enter_context(bench_app(kind, "workflow"))
    hr, person_user, subject = _parties(app)
    users = {"approve": hr, "acknowledge": person_user}
    deploy_simple_approval()

    def one():
        instance = runtime.start(KEY, dict(subject), actor=hr)
        db.session.commit()
        instance_id = instance.id
        for _ in range(2):
            task = db.session.scalars(select(HumanTask).where(  # the open row with its instance, as the API's fetch
                HumanTask.instance_id == instance_id, HumanTask.status == "open").options(
                joinedload(HumanTask.instance).joinedload(ProcessInstance.definition))).one()
            instance = runtime.complete(task, users[task.task_key], DATA[task.task_key])
        assert instance.status == "completed"

    return app, one


# The instance a floor statement writes for: the given id, or (None) the one just inserted
# in the same pipeline.
_INSTANCE = "COALESCE(%s, currval(pg_get_serial_sequence('process_instance', 'id')))"
_OPEN_TASK = ("INSERT INTO human_task (instance_id, spiff_task_id, process_key, task_key, title, subject, lane, "
              f"candidate_role, candidate_enterprise_id, status, created_at) VALUES ({_INSTANCE}, %s, %s, %s, %s, "
              "%s::json, %s, %s, %s, 'open', now())")


def _floor_runner(stack):
    """The least any implementation of (b) could spend on this machine: the engine work
    of (b) as the runtime does it (state by reference: new, load, run, dump), and the same
    rows written by hand-written SQL through psycopg in pipeline mode — each transaction
    one round trip for its reads and one for all its writes with the commit (fsync
    included); no ORM, no candidate resolution, no checks. Instances per second."""
    import json

    import psycopg

    from app.extensions import db
    from app.workflow import definitions
    from app.workflow.serializer import dumps, loads, new_workflow

    app = stack.enter_context(bench_app("postgresql", "workflow_floor"))
    if True:  # the floor's set-up, as (b)'s
        hr, _, subject = _parties(app)
        definition = deploy_simple_approval()
        definition_id = definition.id
        spec, subprocess_specs = definitions.specs_for(definition)
        subject_json, hr_id = json.dumps(subject), hr.id
        conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        db.session.remove()
        candidates = {"enterprise_hr": ("enterprise_hr", subject["enterprise_id"]), "person": ("person", None)}

        def ready(workflow):
            return workflow.get_tasks(state=TaskState.READY, manual=True)

        def open_rows(conn, instance_id, workflow):
            for task in ready(workflow):
                spec_ = task.task_spec
                conn.execute(_OPEN_TASK, (instance_id, str(task.id), KEY, spec_.bpmn_id, spec_.bpmn_name, subject_json,
                                          spec_.lane, *candidates[spec_.lane]))

        conn = stack.enter_context(psycopg.connect(conninfo))
        if True:
            def one():
                workflow = new_workflow(spec, subprocess_specs)
                workflow.task_tree.data.update(subject)
                workflow.do_engine_steps()
                with conn.pipeline():  # BEGIN, the instance and its inbox row, COMMIT: one round trip
                    cursor = conn.execute(
                        "INSERT INTO process_instance (definition_id, process_key, status, subject, state, "
                        "waiting_for, started_by_id, created_at, updated_at, lock_version) VALUES "
                        "(%s, %s, 'running', %s::json, %s, '{}'::json, %s, now(), now(), 1) RETURNING id",
                        (definition_id, KEY, subject_json, dumps(workflow), hr_id))
                    open_rows(conn, None, workflow)
                    conn.commit()
                instance_id = cursor.fetchone()[0]
                for _ in range(2):
                    with conn.pipeline():  # BEGIN and the read: one round trip
                        task_id, spiff_id, task_key, state, version = conn.execute(
                            "SELECT h.id, h.spiff_task_id, h.task_key, i.state, i.lock_version FROM human_task h "
                            "JOIN process_instance i ON i.id = h.instance_id WHERE h.instance_id = %s "
                            "AND h.status = 'open'", (instance_id,)).fetchone()
                    workflow = loads(state, spec, subprocess_specs)
                    [task] = [t for t in ready(workflow) if str(t.id) == spiff_id]
                    task.data.update(DATA[task_key])
                    task.run()
                    workflow.do_engine_steps()
                    with conn.pipeline():  # every write and COMMIT: one round trip
                        conn.execute("UPDATE process_instance SET state = %s, status = %s, updated_at = now(), "
                                     "lock_version = lock_version + 1 WHERE id = %s AND lock_version = %s",
                                     (dumps(workflow), "completed" if workflow.is_completed() else "running",
                                      instance_id, version))
                        conn.execute("UPDATE human_task SET status = 'completed', completed_at = now(), "
                                     "completed_by_id = %s, completed_data = %s::json WHERE id = %s",
                                     (hr_id, json.dumps(DATA[task_key]), task_id))
                        open_rows(conn, instance_id, workflow)
                        conn.commit()
                assert workflow.is_completed()

            return app, one


def _breakdown(one, db, runtime, n=20) -> tuple[float, float, float]:
    """Untimed diagnostic pass, per instance: SQL statements, milliseconds in the engine
    (new_workflow, load, run_step, dumps, by wrapping them) and in the database (the driver's
    execute and commit: round trips + server work, fsync included); the rest is ORM and
    application Python."""
    from sqlalchemy import event
    statements, engine_seconds, cursor = [0], [0.0], [0.0, 0.0]
    dialect = db.engine.dialect
    do_commit = dialect.do_commit

    def timed_commit(dbapi_connection):
        t0 = time.perf_counter()
        try:
            do_commit(dbapi_connection)
        finally:
            cursor[0] += time.perf_counter() - t0

    def count(*_args):
        statements[0] += 1
        cursor[1] = time.perf_counter()

    def counted(*_args):
        cursor[0] += time.perf_counter() - cursor[1]

    def timed(fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                engine_seconds[0] += time.perf_counter() - t0
        return wrapper

    from app.workflow import saving
    wrapped = ((runtime, "new_workflow"), (runtime, "load"), (runtime, "run_step"), (saving, "dumps"))
    originals = {(module, name): getattr(module, name) for module, name in wrapped}
    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.engine, "after_cursor_execute", counted)
    dialect.do_commit = timed_commit
    try:
        for (module, name), fn in originals.items():
            setattr(module, name, timed(fn))
        for _ in range(n):
            one()
    finally:
        dialect.do_commit = do_commit
        event.remove(db.engine, "before_cursor_execute", count)
        event.remove(db.engine, "after_cursor_execute", counted)
        for (module, name), fn in originals.items():
            setattr(module, name, fn)
    return statements[0] / n, engine_seconds[0] / n * 1000, cursor[0] / n * 1000


ROUNDS = 5


def run(quick: bool) -> list[dict]:
    """ROUNDS interleaved rounds of (b) on SQLite, (b) on PostgreSQL and the floor, each
    timed over n instances in its own app context; b/floor per round from neighbours, so
    drift in the machine's load between them matters less; medians reported."""
    n, warmup = (30, 5) if quick else (200, 20)
    rates = {"sqlite": [], "postgresql": [], "floor": []}
    with contextlib.ExitStack() as stack:
        runners = {"sqlite": _runtime_runner(stack, "sqlite"), "postgresql": _runtime_runner(stack, "postgresql"),
                   "floor": _floor_runner(stack)}
        for _ in range(ROUNDS):
            for name, (app, one) in runners.items():
                with app.app_context():
                    rates[name].append(_rate(one, n, warmup))
        breakdowns = {}
        for kind in ("sqlite", "postgresql"):
            app, one = runners[kind]
            with app.app_context():
                from app.extensions import db
                from app.workflow import runtime
                breakdowns[kind] = _breakdown(one, db, runtime)
    a = _spiff_rate(n, warmup)
    ratios = [b / f for b, f in zip(rates["postgresql"], rates["floor"])]
    ratio, floor = statistics.median(ratios), statistics.median(rates["floor"])
    rows = []
    for kind, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        b = statistics.median(rates[kind])
        statements, engine_ms, database_ms = breakdowns[kind]
        rows.append(row(f"workflow (b) runtime on {label}", f"{b:.0f}", "instances/s", "-",
                        f"{1000 / b:.1f} ms/instance (median of {ROUNDS}: {_listed(rates[kind])}): {engine_ms:.1f} ms "
                        f"engine, {statements:.0f} SQL statements + 3 commits taking {database_ms:.1f} ms in the driver"))
    rows.append(row("workflow floor: engine + hand-pipelined SQL on PostgreSQL", f"{floor:.0f}", "instances/s", "-",
                    f"{1000 / floor:.1f} ms/instance (median of {ROUNDS}: {_listed(rates['floor'])}); 9 statements "
                    "in 5 round trips + 3 durable commits, no ORM or checks"))
    rows.append(row("workflow b/floor PostgreSQL", f"{ratio:.2f}", "ratio", f"≥ {GOAL}",
                    f"median of {ROUNDS} interleaved rounds ({_listed(ratios, '.2f')}) {met(ratio >= GOAL)}"))
    rows.append(row("workflow (a) SpiffWorkflow alone, round-trip per step", f"{a:.0f}", "instances/s", "-",
                    f"{1000 / a:.1f} ms/instance; b/a on PostgreSQL {statistics.median(rates['postgresql']) / a:.2f}"
                    " (context only: the goal is against the floor)"))
    commit_ms = durable_commit_ms()
    rows.append(row("PostgreSQL durable commit (INSERT+COMMIT, fsync)", f"{commit_ms:.2f}", "ms", "-",
                    f"3 per instance = {3 * commit_ms:.1f} ms of every (b) instance"))
    return rows


def _listed(values, spec=".0f") -> str:
    return ", ".join(format(v, spec) for v in values)
