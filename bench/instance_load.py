"""Loading an instance must not slow down as its history grows.

Two instances of simple_approval in the same state (just started, one open task); one
also gets 1,000 process_event rows, inserted directly. Each measurement starts from an
empty session (as a new request does): fetch the row with db.session.get, then
runtime.load(instance) (which reads its definition and deserializes the state). The two
instances alternate; median per load, and the ratio with-history / new (goal 1 ± 0.2).
On PostgreSQL and on SQLite.
"""
import statistics
import time

from sqlalchemy import insert

from bench.common import bench_app, deploy_simple_approval, met, percentile, row

EVENTS = 1_000
KINDS = ("claimed", "unclaimed", "task_completed", "timer_fired", "resumed")


def _load_seconds(instance_id: int) -> float:
    from app.extensions import db
    from app.models import ProcessInstance
    from app.workflow import runtime
    db.session.remove()  # a fresh session: nothing cached in the identity map
    t0 = time.perf_counter()
    instance = db.session.get(ProcessInstance, instance_id)
    runtime.load(instance)
    return time.perf_counter() - t0


def _measure(kind: str, repeat: int) -> tuple[list[float], list[float]]:
    from app.extensions import db
    from app.models import ProcessEvent
    from app.workflow import runtime
    from tests.support.factories import World

    with bench_app(kind, "instance_load") as app:
        world = World(app)
        enterprise = world.enterprise()
        hr = world.hr_admin(enterprise)
        person_user = world.user()
        subject = {"enterprise_id": enterprise.id, "person_id": person_user.person.id}
        deploy_simple_approval()
        new = runtime.start("simple_approval", dict(subject), actor=hr)
        old = runtime.start("simple_approval", dict(subject), actor=hr)
        db.session.flush()
        db.session.execute(insert(ProcessEvent), [
            {"instance_id": old.id, "kind": KINDS[i % len(KINDS)], "task_key": "approve", "actor_id": hr.id,
             "detail": {"data": {"decision": "agree", "comment": f"第{i}次"}}} for i in range(EVENTS)])
        db.session.commit()
        new_id, old_id = new.id, old.id
        for _ in range(20):  # warm-up: spec cache, connection pool, prepared statements
            _load_seconds(new_id), _load_seconds(old_id)
        fresh, history = [], []
        for _ in range(repeat):
            fresh.append(_load_seconds(new_id))
            history.append(_load_seconds(old_id))
        return fresh, history


def run(quick: bool) -> list[dict]:
    repeat = 100 if quick else 1000
    rows = []
    for kind, label in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        fresh, history = _measure(kind, repeat)
        a, b = statistics.median(fresh) * 1000, statistics.median(history) * 1000
        ratio = b / a
        ok = 0.8 <= ratio <= 1.2
        rows += [
            row(f"instance load, new ({label}) median / p95", f"{a:.2f} / {percentile(fresh, 95) * 1000:.2f}", "ms"),
            row(f"instance load, {EVENTS:,} events ({label}) median / p95",
                f"{b:.2f} / {percentile(history, 95) * 1000:.2f}", "ms"),
            row(f"instance load ratio ({label})", f"{ratio:.2f}", "ratio", "1 ± 0.2",
                f"{EVENTS:,} events / new = {ratio:.2f} (goal 0.8–1.2) {met(ok)}"),
        ]
    return rows
