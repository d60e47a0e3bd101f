"""The restore drill (docs/operations.md §3): state a real site has — a registration with
its ID-card images waiting for the data center, a resignation waiting on its 24-hour
timer, a batch signed twice and pushed to the bank — backed up with `flask backup
create`, the server's files lost, then restored with `flask backup restore` into a new,
empty database and empty folders. Every row of every table is back, every image, the
signed PDF still verifies, and the restored system goes on: the timer fires, the data
center's batch reads the images."""
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import BankBatch, HumanTask, Registration
from app.services import demo_ca, signing
from tests.api.test_payroll_bank import PASSWORD, approved_batch, call, s, upload  # noqa: F401 (s: fixture)
from tests.api.test_registration import post as register
from tests.conftest import PG_SERVER, _pg_admin_conninfo, base_config
from tests.support.factories import auth, token
from tests.support.staffing import employee
from tests.test_cli import run


def snapshot() -> dict:
    """Every row of every table, in primary-key order, for the current app's database."""
    with db.engine.connect() as connection:
        return {table.name: connection.execute(select(table).order_by(*table.primary_key.columns)).all()
                for table in db.metadata.sorted_tables}


def files_of(folder) -> dict:
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def empty_database(app, tmp_path):
    """A new, empty database of the same kind, dropped afterwards."""
    if not PG_SERVER:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"{url.database}_restored"
    with psycopg.connect(_pg_admin_conninfo(PG_SERVER), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_pg_admin_conninfo(PG_SERVER), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def site_state(client, s, world):
    """A registration awaiting the data center, a resignation on its timer, a pushed batch."""
    newcomer = world.user("newcomer")
    assert register(client, token(client, newcomer)).status_code == 201
    leaving = employee(world, s.sub.enterprise)
    assert client.post("/api/v1/me/resignation", json={"reason": "回老家"},
                       headers=auth(token(client, leaving.user))).status_code == 201
    batch_id = approved_batch(client, s)
    gc_pm, legal = token(client, s.gc.pm), token(client, s.gc.enterprise.legal_rep)
    assert call(client, "post", f"/api/v1/bank-batches/{batch_id}/summary", gc_pm).status_code == 201
    pm_cert = demo_ca.issue_person(s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)
    enterprise_cert = demo_ca.issue_enterprise(s.ca, s.gc.enterprise.name, s.gc.enterprise.uscc, PASSWORD)
    assert upload(client, gc_pm, batch_id, pm_cert).status_code == 201
    assert upload(client, legal, batch_id, enterprise_cert).status_code == 201
    assert run(client.application, "outbox", "deliver").exit_code == 0  # the scheduler's job: to the bank
    return batch_id


def test_a_backup_restores_everything_into_a_new_database(app, client, s, world, tmp_path, empty_database):
    now = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    with time_machine.travel(now, tick=False):
        batch_id = site_state(client, s, world)
    before, uploads = snapshot(), files_of(app.config["UPLOAD_FOLDER"])
    pushed = files_of(app.config["BANK_OUTBOX"])  # what the bank's client collects
    assert pushed and [row.state for row in before["outbox_message"]] == ["delivered"]
    # read now: inside the restored app, this test's own objects would reload from its database
    signers = [("pm_signature", s.gc.pm_person.id_number), ("enterprise_signature", s.gc.enterprise.uscc)]
    assert uploads and before["workflow_timer"] and before["bank_batch"]
    archive = tmp_path / "site.tar.gz"
    made = run(app, "backup", "create", "--to", str(archive))
    assert made.exit_code == 0, made.output
    assert archive.stat().st_mode & 0o077 == 0  # personal data and secrets: the owner's only

    for folder in ("UPLOAD_FOLDER", "BANK_OUTBOX"):  # the server is lost
        shutil.rmtree(app.config[folder])

    restored = create_app({**base_config(empty_database, tmp_path / "restored"), "SIGNING_TRUST_ROOTS":
                           app.config["SIGNING_TRUST_ROOTS"], "BANK_HMAC_KEY": app.config["BANK_HMAC_KEY"]})
    checked = run(restored, "backup", "restore", str(archive))
    assert checked.exit_code == 0 and "Nothing restored" in checked.output
    done = run(restored, "backup", "restore", str(archive), "--yes")
    assert done.exit_code == 0, done.output
    with restored.app_context():
        assert snapshot() == before
        assert files_of(restored.config["UPLOAD_FOLDER"]) == uploads
        document = db.session.get(BankBatch, batch_id).document
        report = signing.validate(document, [s.ca.cert_pem], signers)
        assert report.ok, report
        batch_no = db.session.get(BankBatch, batch_id).batch_no
        db.session.remove()
    # the bank's client had not collected the files: written again from the restored table
    assert run(restored, "outbox", "redeliver", "--batch", batch_no, "--reason", "服务器重建").exit_code == 0
    assert run(restored, "outbox", "deliver").exit_code == 0
    assert files_of(restored.config["BANK_OUTBOX"]) == pushed
    # the restored system goes on: the 24 hours run out, and the data center reads the images
    with time_machine.travel(now + timedelta(hours=24, seconds=1), tick=False):
        assert run(restored, "timers", "fire-due").exit_code == 0
        assert run(restored, "registrations", "process").exit_code == 0
    with restored.app_context():
        assert db.session.scalar(select(HumanTask.task_key).where(HumanTask.task_key == "immediate_resignation"))
        assert db.session.scalar(select(Registration.status).where(Registration.name == "李建华")) == "verified"
        db.session.remove()
        db.engine.dispose()


def test_a_restore_refuses_a_damaged_archive_or_a_database_in_use(app, client, world, tmp_path, empty_database):
    archive = tmp_path / "site.tar.gz"
    assert register(client, token(client, world.user("someone"))).status_code == 201
    assert run(app, "backup", "create", "--to", str(archive)).exit_code == 0
    # into the database it came from (not empty): refused, nothing written
    refused = run(app, "backup", "restore", str(archive), "--yes")
    assert refused.exit_code != 0 and "not empty" in refused.output
    damaged = tmp_path / "damaged.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    restored = create_app(base_config(empty_database, tmp_path / "restored"))
    answer = run(restored, "backup", "restore", str(damaged), "--yes")
    assert answer.exit_code != 0
    with restored.app_context():
        from sqlalchemy import inspect
        assert inspect(db.engine).get_table_names() == []  # nothing half-restored
        assert files_of(restored.config["UPLOAD_FOLDER"]) == {}
        db.engine.dispose()


def test_the_fallback_key_is_in_the_backup(app, tmp_path, empty_database):
    """Without SECRET_KEY in the environment the app keeps one in KEY_FOLDER: a restore
    without it would end every session and void every printed site code."""
    keyed = create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "keyed"), "SECRET_KEY": ""})
    key = (Path(keyed.config["KEY_FOLDER"]) / "secret_key").read_text()
    archive = tmp_path / "keyed.tar.gz"
    assert run(keyed, "backup", "create", "--to", str(archive)).exit_code == 0
    restored = create_app(base_config(empty_database, tmp_path / "restored"))
    result = run(restored, "backup", "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert (Path(restored.config["KEY_FOLDER"]) / "secret_key").read_text() == key
    with restored.app_context():
        db.engine.dispose()

