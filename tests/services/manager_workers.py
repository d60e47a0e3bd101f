"""Designations, allocations and dismissals in separate processes for the managers-leave-
first concurrency tests (spawned, so importable)."""
from pathlib import Path


def _app(database_url, folder, secret_key):
    from app import create_app
    from tests.conftest import base_config
    return create_app({**base_config(database_url, Path(folder)), "SECRET_KEY": secret_key})


def designate(database_url, folder, secret_key, actor_id, project_id, person_id, barrier, results):
    from app.extensions import db
    from app.models import Project, User
    from app.services import allocation
    from app.services.errors import DomainError

    with _app(database_url, folder, secret_key).app_context():
        actor, project = db.session.get(User, actor_id), db.session.get(Project, project_id)
        actor.grants, project.participants  # loaded before the race starts
        barrier.wait()
        try:
            allocation.designate_manager(actor, project, person_id)
            db.session.commit()
            results.put("ok")
        except DomainError as error:
            db.session.rollback()
            results.put(f"refused: {error.message}")
        except Exception as error:  # reported to the test, which fails on it
            results.put(f"error: {error!r}")


def allocate(database_url, folder, secret_key, actor_id, project_id, person_id, barrier, results):
    from app.extensions import db
    from app.models import Project, User
    from app.services import allocation

    with _app(database_url, folder, secret_key).app_context():
        actor, project = db.session.get(User, actor_id), db.session.get(Project, project_id)
        actor.grants, project.participants
        barrier.wait()
        try:
            [result] = allocation.allocate(actor, project, [person_id], "site_operator")
            results.put(("allocate", result.ok, result.detail))
        except Exception as error:
            results.put(("allocate", f"error: {error!r}", None))


def dismiss(database_url, folder, secret_key, actor_id, enterprise_id, person_id, barrier, results):
    from app.extensions import db
    from app.models import Enterprise, User
    from app.services import separation

    with _app(database_url, folder, secret_key).app_context():
        actor, enterprise = db.session.get(User, actor_id), db.session.get(Enterprise, enterprise_id)
        actor.grants
        barrier.wait()
        try:
            [result] = separation.dismiss(actor, enterprise, [person_id], "管理岗位调整")
            results.put(("dismiss", result.ok, result.detail))
        except Exception as error:
            results.put(("dismiss", f"error: {error!r}", None))
