"""Code the PostgreSQL race tests run in separate processes (spawned, so importable)."""
from pathlib import Path


def mixed_load(database_url, folder, secret_key, operations, barrier, results):
    """Runs each operation in order, as a separate request would (its own transaction),
    and reports (operation, outcome) for every one."""
    from app import create_app
    from app.extensions import db
    from app.models import HumanTask, Project, User
    from app.services import signin, site
    from app.services.errors import DomainError
    from app.workflow import runtime, timers
    from app.workflow.errors import TaskConflict
    from tests.conftest import base_config

    app = create_app({**base_config(database_url, Path(folder)), "SECRET_KEY": secret_key})
    outcomes = []
    with app.app_context():
        db.session.execute(db.select(1))  # connected before the race starts
        barrier.wait()
        for op in operations:
            kind = op[0]
            try:
                if kind == "complete":
                    _, task_id, user_id, data = op
                    runtime.complete(db.session.get(HumanTask, task_id), db.session.get(User, user_id), data)
                    outcome = "ok"
                elif kind == "fire":
                    outcome = f"fired {timers.fire_due()}"
                elif kind == "officer_scan":
                    _, user_id, project_id, token, lng, lat = op
                    outcome = site.scan(db.session.get(User, user_id), db.session.get(Project, project_id),
                                        token, "signin", lng, lat).result
                    db.session.commit()
                elif kind == "worker_sign_in":
                    _, user_id, project_id, token, lng, lat = op
                    _record, created = signin.worker_sign_in(db.session.get(User, user_id), project_id, token, lng, lat)
                    db.session.commit()
                    outcome = "signed_in" if created else "already_signed_in"
                else:
                    raise ValueError(kind)
            except (TaskConflict, DomainError) as refusal:  # 409 / 422 to a user: someone got there first
                db.session.rollback()
                outcome = f"refused: {getattr(refusal, 'message', refusal)}"
            except Exception as error:  # reported to the test, which fails on it
                db.session.rollback()
                outcome = f"error: {error!r}"
            outcomes.append((op, outcome))
            db.session.remove()
    results.put(outcomes)
