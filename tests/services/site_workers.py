"""Scanners in separate processes for the on-site concurrency tests (spawned, so importable)."""
from pathlib import Path


def scan(database_url, folder, secret_key, user_id, project_id, token, purpose, barrier, results, at=(None, None)):
    from app import create_app
    from app.extensions import db
    from app.models import Project, User
    from app.services import site
    from tests.conftest import base_config

    app = create_app({**base_config(database_url, Path(folder)), "SECRET_KEY": secret_key})
    with app.app_context():
        user, project = db.session.get(User, user_id), db.session.get(Project, project_id)
        user.grants  # loaded before the race starts
        barrier.wait()
        try:
            outcome = site.scan(user, project, token, purpose, *at)
            db.session.commit()
            results.put(outcome.result)
        except Exception as error:  # reported to the test, which fails on it
            db.session.rollback()
            results.put(f"error: {error!r}")


def complete(database_url, folder, secret_key, task_id, user_id, data, barrier, results):
    """Completes a task through the runtime, as the inbox page and the API do."""
    from app import create_app
    from app.extensions import db
    from app.models import HumanTask, User
    from app.workflow import runtime
    from app.services.errors import Conflict
    from app.workflow.errors import TaskConflict
    from tests.conftest import base_config

    app = create_app({**base_config(database_url, Path(folder)), "SECRET_KEY": secret_key})
    with app.app_context():
        row, user = db.session.get(HumanTask, task_id), db.session.get(User, user_id)
        row.instance.state, user.grants  # loaded before the race starts
        barrier.wait()
        try:
            runtime.complete(row, user, data)
            results.put("ok")
        except (TaskConflict, Conflict):  # both are 409 to the user: someone got there first
            results.put("conflict")
        except Exception as error:  # reported to the test, which fails on it
            results.put(f"error: {error!r}")
