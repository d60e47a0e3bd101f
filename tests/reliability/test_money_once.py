"""Money moves once (DOMAIN §8; API.md, Payroll), through the API as the bank and the GC
use it, on a batch pushed for real (two PAdES signatures, queued, pain.001 delivered to the outbox folder):

- the attack of issue 16 — receipt A (line 1 failed), then B (all paid), then A replayed
  with its original signature — ends `paid`, and 【重新发送】 finds nothing to re-send;
- a receipt saying a paid line failed is 409 and changes nothing, not even its other lines;
- a receipt id seen before is 200 and changes nothing, whatever that body says;
- a receipt without its id is refused; the same outcomes hold for ISO 20022 pain.002;
- identical receipts, or two 【重新发送】, at the same moment apply once (PostgreSQL);
- signing again is 409; a certificate naming two holders is 422.
"""
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, BankBatch, BankReceipt, PayrollDraft, PayrollLine
from app.services import bank_settlement, demo_ca
from app.services.errors import Conflict
from tests.api.test_payroll_bank import (HMAC_KEY, PASSWORD, approved_batch, call, deliver, s,  # noqa: F401 (s: fixture)
                                         upload)
from tests.support import bank_stub
from tests.support.bank_stub import json_receipt, status_report
from tests.support.factories import auth, token
from tests.unit.test_signing import certificate_with_subject

RECEIPTS = "/api/v1/bank/receipts"
AT_ONCE = 6  # identical receipts sent in the same moment


@dataclass
class Pushed:
    batch_id: int
    pain001: bytes  # the transfer file in the outbox
    first: str  # end-to-end ids of its two credits (the GC's worker, the sub's)
    second: str
    gc_pm: str  # API tokens
    legal: str

    @property
    def resend(self) -> str:
        return f"/api/v1/bank-batches/{self.batch_id}/follow-up"


def pm_certificate(s) -> bytes:
    return demo_ca.issue_person(s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)


def enterprise_certificate(s) -> bytes:
    return demo_ca.issue_enterprise(s.ca, s.gc.enterprise.name, s.gc.enterprise.uscc, PASSWORD)


def summarized(client, s) -> tuple[int, str, str]:
    gc_pm, legal = token(client, s.gc.pm), token(client, s.gc.enterprise.legal_rep)
    batch_id = approved_batch(client, s)
    assert call(client, "post", f"/api/v1/bank-batches/{batch_id}/summary", gc_pm).status_code == 201
    return batch_id, gc_pm, legal


def pushed(client, s, app) -> Pushed:
    batch_id, gc_pm, legal = summarized(client, s)
    assert upload(client, gc_pm, batch_id, pm_certificate(s)).status_code == 201
    assert upload(client, legal, batch_id, enterprise_certificate(s)).get_json()["status"] == "signed"
    assert deliver().delivered == 1  # the outbox pushes it, as the scheduler does
    [folder] = Path(app.config["BANK_OUTBOX"]).iterdir()
    pain001 = next(folder.glob("*.xml")).read_bytes()
    first, second = bank_stub.credits_of(pain001)[1]
    return Pushed(batch_id, pain001, first, second, gc_pm, legal)


def send(client, receipt: dict | bytes, key: str = HMAC_KEY):
    body, headers = bank_stub.signed(receipt, key.encode())
    return client.post(RECEIPTS, data=body, headers=headers)


def snapshot(batch_id: int) -> dict:
    """Everything a receipt or a re-send could change."""
    db.session.expire_all()
    lines = db.session.execute(
        select(PayrollLine.id, PayrollLine.pay_status, PayrollLine.pay_failure_reason, PayrollLine.resent_in_batch_id)
        .join(PayrollDraft).where(PayrollDraft.batch_id == batch_id).order_by(PayrollLine.id)).all()
    return {"status": db.session.get(BankBatch, batch_id).status, "lines": [tuple(line) for line in lines],
            "receipts": [tuple(r) for r in db.session.execute(
                select(BankReceipt.receipt_id, BankReceipt.kind).order_by(BankReceipt.id))],
            "batches": db.session.scalar(select(func.count()).select_from(BankBatch)),
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry))}


def pay_status(p: Pushed) -> dict[str, str | None]:
    return {str(line_id): status for line_id, status, *_ in snapshot(p.batch_id)["lines"]}


def refused(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["detail"] and (field is None or field in problem["errors"]), problem
    return problem


# --- replays and contradictions ------------------------------------------------------------------

def test_receipt_a_replayed_after_b_leaves_the_batch_paid(client, s, app):
    p = pushed(client, s, app)
    receipt_a = json_receipt(p.pain001, failed={p.first: "账户已销户"})
    body_a, headers_a = bank_stub.signed(receipt_a, HMAC_KEY.encode())
    assert client.post(RECEIPTS, data=body_a, headers=headers_a).get_json()["status"] == "partially_paid"
    assert send(client, json_receipt(p.pain001)).get_json() == {"batch_no": receipt_a["batch_no"], "status": "paid"}
    paid = snapshot(p.batch_id)

    replay = client.post(RECEIPTS, data=body_a, headers=headers_a)  # A again, its original signature
    assert replay.status_code == 200 and replay.get_json()["status"] == "paid"
    assert snapshot(p.batch_id) == paid and pay_status(p) == {p.first: "paid", p.second: "paid"}
    refused(call(client, "post", p.resend, p.gc_pm), 409)  # 【重新发送】: nothing the bank did not pay
    with pytest.raises(Conflict):  # the rule is the service's, not the view's
        bank_settlement.follow_up(s.gc.pm, db.session.get(BankBatch, p.batch_id))
    assert snapshot(p.batch_id) == paid


def test_a_receipt_saying_a_paid_line_failed_is_refused_whole(client, s, app):
    p = pushed(client, s, app)
    assert send(client, json_receipt(p.pain001, failed={p.first: "账户已销户"})).status_code == 200
    before = snapshot(p.batch_id)
    # first: now paid (fine on its own); second: paid before, now "failed" (never)
    contrary = json_receipt(p.pain001, failed={p.second: "户名不符"})
    problem = refused(send(client, contrary), 409, "lines")
    assert p.second in problem["detail"]
    assert snapshot(p.batch_id) == before  # not even the first line's good news was applied
    refused(send(client, contrary), 409)  # not recorded, so refused again, still changing nothing
    assert snapshot(p.batch_id) == before

    # Saying paid for a line already paid is fine.
    assert send(client, json_receipt(p.pain001)).get_json()["status"] == "paid"
    assert pay_status(p) == {p.first: "paid", p.second: "paid"}


def test_a_receipt_id_seen_before_changes_nothing_whatever_it_says(client, s, app):
    p = pushed(client, s, app)
    assert send(client, json_receipt(p.pain001, receipt_id="BANK-RC-1")).get_json()["status"] == "paid"
    before = snapshot(p.batch_id)
    for same_id in (json_receipt(p.pain001, failed={p.first: "账户已销户"}, receipt_id="BANK-RC-1"),
                    status_report(p.pain001, failed={p.second: "账户已销户"}, receipt_id="BANK-RC-1")):
        again = send(client, same_id)
        assert again.status_code == 200 and again.get_json()["status"] == "paid"
        assert snapshot(p.batch_id) == before


@pytest.mark.parametrize("receipt_id", [None, "", "   ", 17, "R" * 36])
def test_a_receipt_without_a_usable_receipt_id_is_refused(client, s, app, receipt_id):
    p = pushed(client, s, app)
    receipt = json_receipt(p.pain001)
    if receipt_id is None:
        del receipt["receipt_id"]
    else:
        receipt["receipt_id"] = receipt_id
    before = snapshot(p.batch_id)
    problem = refused(send(client, receipt), 422, "receipt_id")
    assert "receipt_id" in problem["detail"]
    assert snapshot(p.batch_id) == before and before["status"] == "pushed"


def test_lines_the_bank_did_not_pay_are_re_sent_once(client, s, app):
    p = pushed(client, s, app)
    assert send(client, json_receipt(p.pain001, failed={p.first: "账户已销户"})).status_code == 200
    follow = call(client, "post", p.resend, p.gc_pm)
    assert follow.status_code == 201
    [draft] = follow.get_json()["drafts"]
    assert draft["enterprise_id"] == s.gc.enterprise.id  # the first credit was the GC worker's
    assert [line.person_id for line in db.session.get(PayrollDraft, draft["id"]).lines] == [s.gc.workers[0].id]
    before = snapshot(p.batch_id)
    refused(call(client, "post", p.resend, p.gc_pm), 409)  # re-sent already
    # A later receipt that repeats the failure changes no re-send either.
    assert send(client, json_receipt(p.pain001, failed={p.first: "账户已销户"})).status_code == 200
    refused(call(client, "post", p.resend, p.gc_pm), 409)
    assert snapshot(p.batch_id)["batches"] == before["batches"]


# --- ISO 20022 pain.002 ------------------------------------------------------------------------

def test_a_pain002_status_report_drives_the_same_outcomes(client, s, app):
    p = pushed(client, s, app)
    report = status_report(p.pain001, failed={p.first: "账户已销户"}, receipt_id="PSR-0001")
    assert send(client, report).get_json()["status"] == "partially_paid"
    assert snapshot(p.batch_id)["lines"][0][1:3] == ("failed", "AC04 账户已销户")
    assert send(client, report).get_json()["status"] == "partially_paid"  # replayed: nothing changes
    assert send(client, status_report(p.pain001)).get_json()["status"] == "paid"
    before = snapshot(p.batch_id)
    assert [kind for _, kind in before["receipts"]] == ["pain.002", "pain.002"]

    refused(send(client, status_report(p.pain001, failed={p.second: "户名不符"})), 409, "lines")
    refused(send(client, status_report(p.pain001, status="PDNG")), 422, "TxSts")  # not a last word
    refused(send(client, report.replace(b"<TxSts>ACSC", b"<TxSts>DONE")), 400, "body")  # not XSD-valid
    refused(send(client, status_report(p.pain001), key="not-the-bank"), 401)
    refused(call(client, "post", p.resend, p.gc_pm), 409)
    assert snapshot(p.batch_id) == before


# --- at the same moment (PostgreSQL) -------------------------------------------------------------

def at_once(app, requests) -> list:
    """Each request (method, url, kwargs) from its own thread, its own client and app
    context, released together; returns the responses in order."""
    barrier, responses = threading.Barrier(len(requests)), [None] * len(requests)

    def one(i, method, url, kwargs):
        client = FlaskClient(app, app.response_class)  # not the test's client: no shared session
        barrier.wait()
        responses[i] = getattr(client, method)(url, **kwargs)

    threads = [threading.Thread(target=one, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def require_postgresql(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("row locks and concurrent writers: the PostgreSQL leg runs this")


def test_identical_receipts_at_the_same_moment_apply_once(client, s, app):
    require_postgresql(app)
    p = pushed(client, s, app)
    body, headers = bank_stub.signed(json_receipt(p.pain001, failed={p.first: "账户已销户"}), HMAC_KEY.encode())
    responses = at_once(app, [("post", RECEIPTS, {"data": body, "headers": headers})] * AT_ONCE)
    assert [r.status_code for r in responses] == [200] * AT_ONCE, [r.get_json() for r in responses]
    assert {r.get_json()["status"] for r in responses} == {"partially_paid"}
    after = snapshot(p.batch_id)
    assert len(after["receipts"]) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "payroll.receipt")) == 1
    assert pay_status(p) == {p.first: "failed", p.second: "paid"}


def test_a_paid_receipt_racing_a_contrary_one_never_unpays(client, s, app):
    require_postgresql(app)
    p = pushed(client, s, app)
    paid = bank_stub.signed(json_receipt(p.pain001), HMAC_KEY.encode())
    failed = bank_stub.signed(json_receipt(p.pain001, failed={p.first: "账户已销户"}), HMAC_KEY.encode())
    responses = at_once(app, [("post", RECEIPTS, {"data": body, "headers": headers}) for body, headers in (paid, failed)])
    # Whichever came second saw the first: failed-then-paid is two 200s, paid-then-failed a 409.
    assert sorted(r.status_code for r in responses) in ([200, 200], [200, 409])
    assert responses[0].status_code == 200
    assert snapshot(p.batch_id)["status"] == "paid" and pay_status(p) == {p.first: "paid", p.second: "paid"}


def test_two_resends_at_the_same_moment_make_one_batch(client, s, app):
    require_postgresql(app)
    p = pushed(client, s, app)
    assert send(client, json_receipt(p.pain001, failed={p.first: "账户已销户", p.second: "卡号错误"})).status_code == 200
    responses = at_once(app, [("post", p.resend, {"headers": auth(p.gc_pm)})] * 2)
    assert sorted(r.status_code for r in responses) == [201, 409], [r.get_json() for r in responses]
    assert db.session.scalar(select(func.count()).select_from(BankBatch)
                             .where(BankBatch.parent_id == p.batch_id)) == 1


# --- signatures ------------------------------------------------------------------------------

def test_signing_again_is_a_conflict(client, s):
    batch_id, gc_pm, legal = summarized(client, s)
    assert upload(client, gc_pm, batch_id, pm_certificate(s)).status_code == 201
    refused(upload(client, gc_pm, batch_id, pm_certificate(s)), 409, "certificate")  # the PM again
    assert upload(client, legal, batch_id, enterprise_certificate(s)).get_json()["status"] == "signed"
    refused(upload(client, legal, batch_id, enterprise_certificate(s)), 409)  # past signing
    refused(upload(client, gc_pm, batch_id, pm_certificate(s)), 409)


def test_a_certificate_naming_two_holders_is_refused(client, s):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    batch_id, gc_pm, _ = summarized(client, s)
    twice = certificate_with_subject(s.ca, [
        x509.NameAttribute(NameOID.COMMON_NAME, s.gc.pm_person.name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, s.gc.pm_person.id_number),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, s.gc.workers[0].id_number)], PASSWORD)
    response = client.post(f"/api/v1/bank-batches/{batch_id}/signatures", headers=auth(gc_pm),
                           data={"certificate": (io.BytesIO(twice), "cert.p12"), "password": PASSWORD},
                           content_type="multipart/form-data")
    refused(response, 422, "certificate")
    assert call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()["status"] == "summarized"
