"""The whole payroll through the API for a GC and one subcontractor: the sub's draft
returned once then approved, the summary refused until every draft is GC-approved,
the PM's and then the enterprise's PAdES signature, which queues the push (待推送);
the outbox delivers it (pain.001 validated against the XSD, summing to the PDF's
total), the bank's receipt with one failed line, and its follow-up batch. Then the
refusals, and an outbox that cannot be written: the signature still succeeds."""
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from lxml import etree
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import BankBatch, OutboxMessage, ProcessInstance
from app.services import bank, demo_ca, outbox, signing
from app.services.calendar import today_in_shanghai
from app.services.payroll_pdf import PM_SIGNATURE_FIELD, format_yuan
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.factories import auth, token
from tests.support.staffing import staffing

PASSWORD = "证书密码2026"
HMAC_KEY = "bank-shared-secret"


@pytest.fixture
def s(world, app, tmp_path):
    ca = demo_ca.create_ca()
    root = tmp_path / "ca.pem"
    root.write_bytes(ca.cert_pem)
    app.config.update(SIGNING_TRUST_ROOTS=[str(root)], BANK_HMAC_KEY=HMAC_KEY)
    s = staffing(world, workers=1)
    s.ca = ca
    return s


def deliver() -> outbox.Outcome:
    """What the scheduler does every few seconds: what is queued and due leaves."""
    outcome = outbox.deliver_due()
    db.session.expire_all()
    return outcome


def call(client, method, url, tok, **kwargs):
    return getattr(client, method)(url, headers=auth(tok), **kwargs)


def task(client, tok, key):
    [item] = [t for t in client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"] if t["task_key"] == key]
    return item["id"]


def complete(client, tok, key, decision="agree", comment=""):
    response = client.post(f"/api/v1/tasks/{task(client, tok, key)}/complete",
                           json={"data": {"decision": decision, "comment": comment}}, headers=auth(tok))
    assert response.status_code == 200, response.get_json()


def upload(client, tok, batch_id, p12, password=PASSWORD):
    return client.post(f"/api/v1/bank-batches/{batch_id}/signatures", headers=auth(tok),
                       data={"certificate": (io.BytesIO(p12), "cert.p12"), "password": password},
                       content_type="multipart/form-data")


def draft(client, tok, pid, batch_id, gross):
    body = call(client, "post", f"/api/v1/projects/{pid}/payroll-drafts", tok,
                json={"pay_month": "2026-11", "batch_id": batch_id}).get_json()
    for line in body["lines"]:
        assert call(client, "put", f"/api/v1/payroll-drafts/{body['id']}/lines/{line['id']}", tok,
                    json={"gross_fen": gross, "deductions_fen": 100_00}).status_code == 200
    assert call(client, "post", f"/api/v1/payroll-drafts/{body['id']}/submit", tok).status_code == 200
    return body


def approved_batch(client, s):
    """Settlement day, batch, both drafts through review (the sub's returned once)."""
    gc_pm, sub_pm, sub_hr = (token(client, u) for u in (s.gc.pm, s.sub.pm, s.sub.hr))
    pid = s.project.id
    call(client, "put", f"/api/v1/projects/{pid}/payroll-settings", gc_pm, json={"settlement_day": 25})
    batch_id = call(client, "post", f"/api/v1/projects/{pid}/bank-batches", gc_pm,
                    json={"pay_month": "2026-11"}).get_json()["id"]
    for side in (s.gc, s.sub):
        sign_ins(s.project, side.workers[0], [date(2026, 11, d) for d in (2, 3, 4, 5)])
        with_card(side.workers[0])
    draft(client, gc_pm, pid, batch_id, 1_200_00)
    sub_draft = draft(client, sub_pm, pid, batch_id, 900_00)
    complete(client, token(client, s.gc.hr), "gc_review")  # four eyes: not the PM who drafted it
    summary = f"/api/v1/bank-batches/{batch_id}/summary"
    assert call(client, "post", summary, gc_pm).status_code == 409  # the sub's draft is not through yet
    complete(client, sub_hr, "sub_review", "reject", "天数有误")
    assert call(client, "post", f"/api/v1/payroll-drafts/{sub_draft['id']}/submit", sub_pm).status_code == 200
    complete(client, sub_hr, "sub_review")
    assert call(client, "post", summary, gc_pm).status_code == 409  # GC level still open
    complete(client, gc_pm, "gc_review")
    return batch_id


def test_the_whole_payroll_to_the_bank_and_back(client, s, app):
    gc_pm, legal = token(client, s.gc.pm), token(client, s.gc.enterprise.legal_rep)
    batch_id = approved_batch(client, s)
    assert call(client, "post", f"/api/v1/bank-batches/{batch_id}/summary", token(client, s.gc.hr)).status_code == 403
    summary = f"/api/v1/bank-batches/{batch_id}/summary"
    today = today_in_shanghai()
    for bad in ((today - timedelta(days=1)).isoformat(), (today + timedelta(days=32)).isoformat(), "2026-02-30"):
        refused = call(client, "post", summary, gc_pm, json={"pay_date": bad})
        assert refused.status_code == 422 and "pay_date" in refused.get_json()["errors"]
    assert call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()["status"] == "open"
    pay_date = (today + timedelta(days=3)).isoformat()
    made = call(client, "post", summary, gc_pm, json={"pay_date": pay_date})
    assert made.status_code == 201 and made.get_json()["status"] == "summarized"
    assert made.get_json()["pay_date"] == pay_date
    pdf = call(client, "get", f"/api/v1/bank-batches/{batch_id}/summary.pdf", legal)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert s.gc.workers[0].name in text and s.sub.workers[0].id_number in text
    assert f"发放日期：{pay_date}" in text  # the law asks for the pay date on the signed table

    pm_cert = demo_ca.issue_person(s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)
    enterprise_cert = demo_ca.issue_enterprise(s.ca, s.gc.enterprise.name, s.gc.enterprise.uscc, PASSWORD)
    assert upload(client, legal, batch_id, enterprise_cert).status_code == 422  # the PM signs first
    signed = upload(client, gc_pm, batch_id, pm_cert)
    assert signed.status_code == 201 and signed.get_json()["status"] == "pm_signed"
    again = upload(client, gc_pm, batch_id, pm_cert)  # the PM has signed already: the enterprise's turn
    assert again.status_code == 409 and again.get_json()["detail"] == "项目经理已签署，现在应由施工总包企业签署"
    assert upload(client, legal, batch_id, pm_cert).status_code == 422  # the PM's certificate for the enterprise
    done = upload(client, legal, batch_id, enterprise_cert)
    assert done.status_code == 201, done.get_json()
    # queued, not sent inside the request: 待推送 until the outbox delivers it
    assert done.get_json()["status"] == "signed" and done.get_json()["delivery"]["state"] == "pending"
    assert not any(Path(app.config["BANK_OUTBOX"]).iterdir())
    assert deliver().delivered == 1
    shown = call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()
    assert shown["status"] == "pushed" and shown["delivery"]["state"] == "delivered"
    assert shown["delivery"]["attempts"] == 1 and shown["delivery"]["last_error"] is None

    final = call(client, "get", f"/api/v1/bank-batches/{batch_id}/summary.pdf", gc_pm).data
    report = signing.validate(final, [s.ca.cert_pem], [("pm_signature", s.gc.pm_person.id_number),
                                                       ("enterprise_signature", s.gc.enterprise.uscc)])
    assert report.ok, report
    [folder] = Path(app.config["BANK_OUTBOX"]).iterdir()
    xml = next(folder.glob("*.xml")).read_bytes()
    bank.validate_xml(xml)
    ns = {"p": bank.NS}
    tree = etree.fromstring(xml)
    amounts = [bank.parse_fen(a.text) for a in tree.iterfind(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", ns)]
    assert amounts == [1_100_00, 800_00]
    assert bank.parse_fen(tree.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns)) == sum(amounts)
    assert tree.findtext(".//p:PmtInf/p:ReqdExctnDt", namespaces=ns) == pay_date  # the bank pays on that day
    final_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(final)).pages)
    assert format_yuan(sum(amounts)) in final_text
    assert next(folder.glob("*.pdf")).read_bytes() == final

    ids = [e.text for e in tree.iterfind(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", ns)]
    batch_no = tree.findtext(".//p:GrpHdr/p:MsgId", namespaces=ns)
    receipt = json.dumps({"receipt_id": "RCPT-0001", "batch_no": batch_no, "message_id": batch_no, "lines": [
        {"end_to_end_id": ids[0], "status": "paid"},
        {"end_to_end_id": ids[1], "status": "failed", "reason": "账户已销户"}]}).encode()
    assert client.post("/api/v1/bank/receipts", data=receipt, content_type="application/json",
                       headers={bank.SIGNATURE_HEADER: bank.sign(receipt, b"wrong")}).status_code == 401
    ok = client.post("/api/v1/bank/receipts", data=receipt, content_type="application/json",
                     headers={bank.SIGNATURE_HEADER: bank.sign(receipt, HMAC_KEY.encode())})
    assert ok.status_code == 200 and ok.get_json()["status"] == "partially_paid"

    sub_worker = s.sub.workers[0]
    wages = call(client, "get", "/api/v1/me/wages", token(client, sub_worker.user)).get_json()["items"]
    assert [(w["net_fen"], w["pay_status"]) for w in wages] == [(800_00, "failed")]
    sub_worker.bank_card_number = "6222021001115556667"  # the worker fixes the card
    db.session.commit()
    follow = call(client, "post", f"/api/v1/bank-batches/{batch_id}/follow-up", gc_pm)
    assert follow.status_code == 201 and follow.get_json()["batch_no"].endswith("-2")
    assert call(client, "post", f"/api/v1/bank-batches/{batch_id}/follow-up", gc_pm).status_code == 409
    follow_id = follow.get_json()["id"]
    assert call(client, "post", f"/api/v1/bank-batches/{follow_id}/summary", gc_pm).status_code == 201
    assert upload(client, gc_pm, follow_id, pm_cert).status_code == 201
    assert upload(client, legal, follow_id, enterprise_cert).get_json()["status"] == "signed"
    assert upload(client, legal, follow_id, enterprise_cert).status_code == 409  # past signing
    assert deliver().delivered == 1
    assert call(client, "get", f"/api/v1/bank-batches/{follow_id}", gc_pm).get_json()["status"] == "pushed"
    follow_no = follow.get_json()["batch_no"]
    [resent_folder] = [p for p in Path(app.config["BANK_OUTBOX"]).iterdir() if p.name.startswith(follow_no)]
    resent = etree.fromstring(next(resent_folder.glob("*.xml")).read_bytes())
    accounts = [e.text for e in resent.iterfind(".//p:CdtrAcct/p:Id/p:Othr/p:Id", ns)]
    assert accounts == ["6222021001115556667"]


def test_untrusted_certificates_and_a_changed_file_are_refused(client, s):
    gc_pm, legal = token(client, s.gc.pm), token(client, s.gc.enterprise.legal_rep)
    batch_id = approved_batch(client, s)
    call(client, "post", f"/api/v1/bank-batches/{batch_id}/summary", gc_pm)
    stranger = demo_ca.create_ca("某不受信任CA")
    untrusted = demo_ca.issue_person(stranger, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)
    refused = upload(client, gc_pm, batch_id, untrusted)
    assert refused.status_code == 422 and "certificate" in refused.get_json()["errors"]
    assert upload(client, gc_pm, batch_id, b"not a certificate").status_code == 422
    pm_cert = demo_ca.issue_person(s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)
    assert upload(client, gc_pm, batch_id, pm_cert, password="wrong").status_code == 422
    assert upload(client, gc_pm, batch_id, pm_cert).status_code == 201

    batch = db.session.get(BankBatch, batch_id)
    batch.document = batch.document.replace(b"%PDF-1.3", b"%PDF-1.4", 1) if b"%PDF-1.3" in batch.document[:10] \
        else b"%PDF-1.7" + batch.document[8:]  # one byte inside the PM's signed range
    db.session.commit()
    enterprise_cert = demo_ca.issue_enterprise(s.ca, s.gc.enterprise.name, s.gc.enterprise.uscc, PASSWORD)
    response = upload(client, legal, batch_id, enterprise_cert)
    assert response.status_code == 409  # the flow's check refuses: nothing leaves for the bank
    assert not Path(client.application.config["BANK_OUTBOX"]).exists() or \
        not any(Path(client.application.config["BANK_OUTBOX"]).iterdir())
    # the refused signature is taken back: the step still asks for it, the field is free again
    assert call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()["status"] == "pm_signed"
    assert task(client, legal, "enterprise_sign")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nothing queued either
    document = db.session.get(BankBatch, batch_id).document
    assert [sig.field_name for sig in PdfFileReader(io.BytesIO(document)).embedded_signatures] == [PM_SIGNATURE_FIELD]


def test_an_outbox_that_cannot_be_written_never_fails_the_signature(client, s, app, tmp_path):
    """The bank's outbox folder cannot be written: the enterprise's signature still
    succeeds and the flow ends; the batch waits (待推送) with the error in words, never a
    server path, and the next try after its pause delivers it once the folder is back."""
    gc_pm, legal = token(client, s.gc.pm), token(client, s.gc.enterprise.legal_rep)
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    app.config["BANK_OUTBOX"] = str(blocker / "outbox")
    batch_id = approved_batch(client, s)
    assert call(client, "post", f"/api/v1/bank-batches/{batch_id}/summary", gc_pm).status_code == 201
    assert upload(client, gc_pm, batch_id, demo_ca.issue_person(
        s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)).status_code == 201
    signed = upload(client, legal, batch_id, demo_ca.issue_enterprise(
        s.ca, s.gc.enterprise.name, s.gc.enterprise.uscc, PASSWORD))
    assert signed.status_code == 201 and signed.get_json()["status"] == "signed"
    instance = db.session.get(ProcessInstance, db.session.get(BankBatch, batch_id).process_instance_id)
    assert instance.status == "completed"  # nothing stranded: the flow's step only queued the push

    assert deliver().retrying == 1
    shown = call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm)
    delivery = shown.get_json()["delivery"]
    batch_no = shown.get_json()["batch_no"]
    assert shown.get_json()["status"] == "signed" and delivery["state"] == "pending" and delivery["attempts"] == 1
    assert delivery["last_error"] == f"无法把批次 {batch_no} 写入银行交换目录"
    assert str(tmp_path) not in shown.get_data(as_text=True)

    app.config["BANK_OUTBOX"] = str(tmp_path / "outbox")  # the folder is back
    assert deliver().tried == 0  # not before its next try is due
    message = db.session.scalar(select(OutboxMessage))
    with time_machine.travel(message.next_attempt_at, tick=False):
        assert deliver().delivered == 1
    assert call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()["status"] == "pushed"
    [folder] = Path(app.config["BANK_OUTBOX"]).iterdir()
    assert folder.name == batch_no and (folder / f"{batch_no}.xml").read_bytes() == message.payload
