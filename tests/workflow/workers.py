"""Code run in separate processes by the concurrency tests (spawned, so importable)."""
from pathlib import Path


def _app(database_url: str, folder: str):
    from app import create_app
    from tests.conftest import base_config
    return create_app(base_config(database_url, Path(folder)))


def complete_task(database_url, folder, task_id, user_id, barrier, results):
    from app.extensions import db
    from app.models import HumanTask, User
    from app.workflow import runtime
    from app.workflow.errors import TaskConflict

    with _app(database_url, folder).app_context():
        row, user = db.session.get(HumanTask, task_id), db.session.get(User, user_id)
        row.instance.state  # loaded before the race starts
        barrier.wait()
        try:
            runtime.complete(row, user, {"decision": "agree", "comment": ""})
            results.put("ok")
        except TaskConflict:
            results.put("conflict")
        except Exception as error:  # reported to the test, which fails on it
            results.put(f"error: {error!r}")


def fire_timers(database_url, folder, barrier, results):
    from app.workflow.timers import fire_due

    with _app(database_url, folder).app_context():
        barrier.wait()
        results.put(fire_due())
