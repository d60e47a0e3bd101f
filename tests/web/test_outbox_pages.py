"""The push through the outbox on the pages: the GC PM's batch page shows 待推送 / 已推送 /
推送失败 with the tries and the last error in words, and offers 【重新推送】 (a confirmation
dialog with a reason, audited) to the GC PM alone; the administrator's 外发消息 list under
流程监控 shows every message and offers the same; once the bank has answered, never again."""
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, BankBatch, OutboxMessage
from app.services import demo_ca, outbox
from tests.api.test_payroll_bank import PASSWORD, approved_batch, call, s, upload  # noqa: F401 (s)
from tests.reliability.test_money_once import send
from tests.support.bank_stub import json_receipt
from tests.support.factories import log_in, token
from tests.web.test_payroll_pages import alerts, post, text


def signed_with_a_broken_outbox(client, s, app, tmp_path) -> BankBatch:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    app.config.update(BANK_OUTBOX=str(blocker / "outbox"), OUTBOX_MAX_ATTEMPTS=2)
    gc_pm, legal = token(client, s.gc.pm), token(client, s.gc.enterprise.legal_rep)
    batch_id = approved_batch(client, s)
    assert call(client, "post", f"/api/v1/bank-batches/{batch_id}/summary", gc_pm).status_code == 201
    assert upload(client, gc_pm, batch_id, demo_ca.issue_person(
        s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)).status_code == 201
    assert upload(client, legal, batch_id, demo_ca.issue_enterprise(
        s.ca, s.gc.enterprise.name, s.gc.enterprise.uscc, PASSWORD)).status_code == 201
    return db.session.get(BankBatch, batch_id)


def one_try():
    message = db.session.scalar(select(OutboxMessage))
    with time_machine.travel(message.next_attempt_at, tick=False):
        outcome = outbox.deliver_due()
    db.session.expire_all()
    return outcome


def browser_of(app, user):
    browser = app.test_client()
    log_in(browser, user)
    return browser


def test_the_gc_pm_sees_the_push_and_pushes_again(client, s, app, tmp_path):
    batch = signed_with_a_broken_outbox(client, s, app, tmp_path)
    url = f"/payroll/batches/{batch.id}"
    pm, legal = browser_of(app, s.gc.pm), browser_of(app, s.gc.enterprise.legal_rep)
    page = text(pm.get(url))
    assert 'data-testid="delivery-state">待推送<' in page and "已尝试0次" in page
    assert 'data-testid="redeliver"' not in page and 'data-testid="push-stuck"' not in page

    assert one_try().retrying == 1
    page = text(pm.get(url))
    assert 'data-testid="delivery-state">待推送<' in page and "已尝试1次" in page
    assert f"最近一次错误：无法把批次 {batch.batch_no} 写入银行交换目录" in page and 'data-testid="delivery-next"' in page
    assert str(tmp_path) not in page
    assert one_try().failed == 1
    page = text(pm.get(url))
    assert 'data-testid="delivery-state">推送失败<' in page and "已尝试2次" in page
    assert 'data-testid="redeliver"' in page and 'id="redeliver-confirm"' in page and 'name="reason"' in page
    assert 'data-testid="redeliver"' not in text(legal.get(url))  # the GC PM's button

    refused = post(legal, f"{url}/redeliver", {"reason": "银行称未收到"}, url, follow=False)
    assert refused.status_code == 403
    empty = post(pm, f"{url}/redeliver", {"reason": " "}, url)
    assert "请填写重新推送原因" in " ".join(alerts(text(empty)))
    assert db.session.scalar(select(OutboxMessage.state)) == "failed"
    again = post(pm, f"{url}/redeliver", {"reason": "银行连接已恢复"}, url)
    assert "已重新加入待推送队列，系统将自动推送银行" in alerts(text(again))
    assert 'data-testid="delivery-state">待推送<' in text(again)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.redeliver"))
    assert entry.actor_id == s.gc.pm.id and entry.reason == "银行连接已恢复" and entry.details["was"] == "failed"

    app.config["BANK_OUTBOX"] = str(tmp_path / "outbox")  # the folder is back
    assert one_try().delivered == 1
    page = text(pm.get(url))
    assert 'data-testid="delivery-state">已推送<' in page and "已推送银行" in page and "已尝试1次" in page
    assert 'data-testid="redeliver"' in page  # a delivered push the bank says it never got


def test_the_administrator_lists_every_message_and_pushes_again(client, s, app, tmp_path, world):
    batch = signed_with_a_broken_outbox(client, s, app, tmp_path)
    one_try(), one_try()  # two tries: failed
    message = db.session.scalar(select(OutboxMessage))
    assert browser_of(app, s.gc.pm).get("/admin/monitor/outbox").status_code == 403  # administrators only
    admin_user = world.admin()
    admin = browser_of(app, admin_user)
    dashboard = text(admin.get("/admin/monitor/"))
    assert 'data-testid="outbox-link"' in dashboard and 'title="推送失败">1<' in dashboard
    page = text(admin.get("/admin/monitor/outbox?state=failed"))
    assert f'data-message-id="{batch.batch_no}"' in page and 'data-testid="message-state">推送失败<' in page
    assert 'data-testid="message-attempts">2<' in page and f"无法把批次 {batch.batch_no} 写入银行交换目录" in page
    assert f'id="redeliver-{message.id}"' in page
    assert 'data-testid="empty"' in text(admin.get("/admin/monitor/outbox?state=delivered"))

    lists = "/admin/monitor/outbox?state=failed"
    again = post(admin, f"/admin/monitor/outbox/{message.id}/redeliver?state=failed", {"reason": "银行称未收到"}, lists)
    assert f"{batch.batch_no} 已重新加入待推送队列，系统将自动推送" in alerts(text(again))
    assert db.session.scalar(select(OutboxMessage.state)) == "pending"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.redeliver"))
    assert entry.actor_id == admin_user.id and entry.reason == "银行称未收到"
    twice = post(admin, f"/admin/monitor/outbox/{message.id}/redeliver", {"reason": "再来一次"}, lists)
    assert "只有已推送或推送失败的消息可以重新推送" in " ".join(alerts(text(twice)))

    app.config["BANK_OUTBOX"] = str(tmp_path / "outbox")
    assert one_try().delivered == 1
    pain001 = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == message.id)).payload
    assert send(client, json_receipt(pain001)).status_code == 200  # the bank has answered
    refused = post(admin, f"/admin/monitor/outbox/{message.id}/redeliver", {"reason": "银行称未收到"},
                   "/admin/monitor/outbox")
    assert f"银行已对批次 {batch.batch_no} 发来回执，说明已经收到，不能重新推送" in " ".join(alerts(text(refused)))
    assert db.session.scalar(select(OutboxMessage.state)) == "delivered"
