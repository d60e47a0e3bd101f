"""Scanners in separate processes for the on-site concurrency tests (spawned, so importable)."""
from pathlib import Path


def scan(database_url, folder, secret_key, user_id, project_id, token, purpose, barrier, results):
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
            outcome = site.scan(user, project, token, purpose)
            db.session.commit()
            results.put(outcome.result)
        except Exception as error:  # reported to the test, which fails on it
            db.session.rollback()
            results.put(f"error: {error!r}")
