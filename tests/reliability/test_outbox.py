"""The transactional outbox (ARCHITECTURE "Messages to the outside world"; issue 18):

- a bank (the HTTPS gateway against a real HTTP server on loopback) that refuses three
  tries and then answers: the enterprise's signature succeeded at once, the batch is
  delivered exactly once, after pauses that double, and every try is on the row;
- after the outbox folder is wiped, `flask outbox redeliver --batch` rebuilds it byte for
  byte, and the bank's receipts still match; once the bank has answered, never again;
- `flask outbox deliver` delivers what is pending once; the scheduler runs the same job;
- a deliverer that died holding a claim strands nothing, and its late word changes nothing;
- two deliverers looking at the same moment, again and again while one sends, deliver
  once (PostgreSQL: FOR UPDATE SKIP LOCKED and the claim; SQLite: the claim alone);
- a signed PDF changed after the push was queued never leaves;
- after OUTBOX_MAX_ATTEMPTS tries a message is `failed`, and audited.
"""
import contextvars
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, BankBatch, OutboxMessage, ProcessInstance
from app.services import outbox
from tests.api.test_payroll_bank import HMAC_KEY, call, deliver, s, upload  # noqa: F401 (s: fixture)
from tests.reliability.test_money_once import enterprise_certificate, pm_certificate, pushed, send, summarized
from tests.support.bank_stub import BankStub, json_receipt
from tests.test_cli import run


def signed(client, s) -> tuple[int, str]:
    """Both signatures in: the push is queued. Returns (batch id, the GC PM's token)."""
    batch_id, gc_pm, legal = summarized(client, s)
    assert upload(client, gc_pm, batch_id, pm_certificate(s)).status_code == 201
    done = upload(client, legal, batch_id, enterprise_certificate(s))
    assert done.status_code == 201, done.get_json()  # never a 503: the bank is not called here
    assert done.get_json()["status"] == "signed" and done.get_json()["delivery"]["state"] == "pending"
    return batch_id, gc_pm


def the_message() -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage))


def files_of(folder) -> dict[str, bytes]:
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_bank_down_for_three_tries_then_up_gets_the_batch_once(client, s, app):
    with BankStub(HMAC_KEY.encode(), status=503) as bank:
        app.config.update(BANK_GATEWAY=bank.url, BANK_TIMEOUT_SECONDS=5)
        batch_id, gc_pm = signed(client, s)
        batch_no = db.session.get(BankBatch, batch_id).batch_no
        pauses = []
        for tries in (1, 2, 3):
            with time_machine.travel(the_message().next_attempt_at, tick=False):
                outcome = deliver()
            assert (outcome.delivered, outcome.retrying, outcome.failed) == (0, 1, 0)
            message = the_message()
            assert (message.state, message.attempts) == ("pending", tries)
            pauses.append(message.next_attempt_at - message.last_attempt_at)
            shown = call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()
            assert shown["status"] == "signed"  # 待推送, with the reason in words
            assert shown["delivery"]["last_error"] == f"银行拒收了批次 {batch_no}（HTTP 503）"
        assert pauses == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
        with time_machine.travel(the_message().next_attempt_at - timedelta(seconds=1), tick=False):
            assert deliver().tried == 0  # not before its pause is over
        assert bank.received == []

        bank.status = 202  # the bank is back
        with time_machine.travel(the_message().next_attempt_at, tick=False):
            assert deliver().delivered == 1
        with time_machine.travel(the_message().delivered_at + timedelta(days=1), tick=False):
            assert deliver().tried == 0  # delivered is final: no later round sends it again
        assert len(bank.received) == 1 and bank.refused == 0

    message, batch = the_message(), db.session.get(BankBatch, batch_id)
    assert (message.state, message.attempts, message.last_error, message.reference) == ("delivered", 4, None,
                                                                                          "STUB-0001")
    got = bank.received[0]
    assert got.form == {"batch_no": batch_no, "message_id": batch_no}
    assert got.files["xml"][2] == message.payload and got.files["pdf"][2] == batch.document
    assert batch.status == "pushed" and batch.pushed_at == message.delivered_at
    assert db.session.get(ProcessInstance, batch.process_instance_id).status == "completed"  # never in error
    [push] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payroll.push")).all()
    assert push.details["attempts"] == 4 and push.details["again"] is False
    # the bank's receipt names the message id it got: it settles the batch
    assert send(client, json_receipt(got.files["xml"][2])).get_json() == {"batch_no": batch_no, "status": "paid"}


def test_a_wiped_outbox_folder_is_rebuilt_byte_for_byte(client, s, app):
    p = pushed(client, s, app)
    folder = app.config["BANK_OUTBOX"]
    before = files_of(folder)
    batch_no = db.session.get(BankBatch, p.batch_id).batch_no
    assert sorted(before) == [f"{batch_no}/{batch_no}.pdf", f"{batch_no}/{batch_no}.xml"]
    shutil.rmtree(folder)  # the server's folder is lost; the table is not

    result = run(app, "outbox", "redeliver", "--batch", batch_no, "--reason", "银行交换目录丢失")
    assert result.exit_code == 0, result.output
    assert f"{batch_no} ({batch_no}): delivered 1" in result.output
    assert files_of(folder) == before
    message = the_message()
    assert (message.state, message.attempts, message.message_id) == ("delivered", 1, batch_no)
    asked = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.redeliver"))
    assert asked.actor_id is None and asked.reason == "银行交换目录丢失" and asked.details["was"] == "delivered"
    again = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "payroll.push")
                               .order_by(AuditEntry.id)).all()
    assert [d["again"] for d in again] == [False, True]
    assert db.session.get(BankBatch, p.batch_id).status == "pushed"

    # receipts still match the file: the message id never changed
    assert send(client, json_receipt(p.pain001)).get_json()["status"] == "paid"
    shutil.rmtree(folder)
    refused = run(app, "outbox", "redeliver", "--batch", batch_no)
    assert refused.exit_code != 0 and "银行已对批次" in refused.output  # it reached the bank: never again
    assert not Path(folder).exists() and the_message().state == "delivered"
    unknown = run(app, "outbox", "redeliver", "--batch", "P0-209901-1")
    assert unknown.exit_code != 0 and "no bank batch" in unknown.output


def test_outbox_deliver_once_and_the_scheduler_runs_the_same(client, s, app):
    from app.cli.outbox import deliver_due
    from app.workflow import scheduler

    signed(client, s)
    result = run(app, "outbox", "deliver")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "delivered 1, to try again 0, failed 0"
    assert run(app, "outbox", "deliver").output.strip() == "delivered 0, to try again 0, failed 0"
    assert the_message().state == "delivered" and len(files_of(app.config["BANK_OUTBOX"])) == 2

    [job] = [j for j in scheduler.JOBS if j.id == "outbox_delivery"]
    assert job.func is deliver_due and job.trigger == "interval" and job.options["seconds"] == 10
    assert scheduler.build(app).get_job("outbox_delivery") is not None


def test_a_deliverer_that_died_holding_a_claim_strands_nothing(client, s, app):
    batch_id, _ = signed(client, s)
    passed: set[int] = set()
    dead = outbox._claim_next(passed, None)  # claimed and committed; then the process died
    assert dead is not None and the_message().claim_token == dead.token
    assert deliver().tried == 0  # the claim holds while it lasts
    with time_machine.travel(the_message().claimed_until + timedelta(seconds=1), tick=False):
        assert deliver().delivered == 1  # then another deliverer takes it
    delivered = the_message()
    late = outbox.Outcome()
    outbox._record(dead, outbox.DeliveryError("the dead one's late word"), late)  # its claim is gone
    assert late.tried == 0 and the_message().state == "delivered" and the_message().attempts == delivered.attempts
    assert db.session.get(BankBatch, batch_id).status == "pushed"


def test_a_signed_file_changed_after_it_was_queued_never_leaves(client, s, app):
    batch_id, gc_pm = signed(client, s)
    batch = db.session.get(BankBatch, batch_id)
    batch.document += b"\n%changed after both signatures"
    db.session.commit()
    assert deliver().retrying == 1
    assert not any(Path(app.config["BANK_OUTBOX"]).iterdir())
    shown = call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()
    assert shown["status"] == "signed" and shown["delivery"]["last_error"] == \
        f"批次 {batch.batch_no} 的签署文件与排队推送时不一致，不能推送，请联系管理员"


def test_after_the_last_try_the_message_is_failed_and_audited(client, s, app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    app.config.update(BANK_OUTBOX=str(blocker / "outbox"), OUTBOX_MAX_ATTEMPTS=2)
    batch_id, gc_pm = signed(client, s)
    with time_machine.travel(the_message().next_attempt_at, tick=False):
        assert deliver().retrying == 1
    with time_machine.travel(the_message().next_attempt_at, tick=False):
        assert deliver().failed == 1
    message = the_message()
    assert (message.state, message.attempts, message.next_attempt_at) == ("failed", 2, None)
    with time_machine.travel(message.last_attempt_at + timedelta(days=30), tick=False):
        assert deliver().tried == 0  # failed waits for a person: 【重新推送】
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.failed"))
    assert entry.details["attempts"] == 2 and str(tmp_path) not in str(entry.details)
    shown = call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()
    assert shown["status"] == "signed" and shown["delivery"]["state"] == "failed"


def test_two_deliverers_at_once_deliver_once(client, s, app):
    with BankStub(HMAC_KEY.encode(), delay=0.5) as bank:  # a slow bank: both look while one sends
        app.config.update(BANK_GATEWAY=bank.url, BANK_TIMEOUT_SECONDS=5)
        signed(client, s)
        db.session.commit()
        start, outcomes = threading.Barrier(2), []

        def deliverer():  # a scheduler ticking: it looks again while the other one sends
            with app.app_context():
                start.wait(timeout=10)
                for _ in range(12):
                    outcomes.append(outbox.deliver_due())
                    time.sleep(0.1)
                db.session.remove()

        threads = [threading.Thread(target=contextvars.Context().run, args=(deliverer,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sum(o.delivered for o in outcomes) == 1 and all(o.retrying == o.failed == 0 for o in outcomes)
    assert len(bank.received) == 1
    assert (the_message().state, the_message().attempts) == ("delivered", 1)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "payroll.push")) == 1
