"""消息通知: each event writes exactly one notice to the person concerned, with its text
and the link to act on — the data center's decisions (batch and operator), a hire awaiting
consent, a dismissal awaiting an answer, wages paid or failed (with the card page) — and
a person sees and marks only their own."""
import io
import os
from datetime import date

from flask_babel import gettext
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, Notice
from app.services import employment as employment_service, notices, registration as reg, roles
from app.services import separation as separation_service
from tests.services.test_retention import paid, payroll_staffing, pushed_batch
from tests.support.identifiers import make_id_number
from tests.support.images import make_id_image
from tests.support.people import registration
from tests.support.staffing import employee, staffing


def notices_of(person) -> list[Notice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notice).where(Notice.person_id == person.id).order_by(Notice.id)))


def only_notice(person) -> Notice:
    rows = notices_of(person)
    assert len(rows) == 1, [(n.kind, n.params) for n in rows]
    return rows[0]


def text(notice) -> str:
    return notices.render(notice, gettext)


def submitted(app, person, **kw):
    row = reg.submit(person, person.name, make_id_number(seq=person.id), "13912345678",
                     io.BytesIO(make_id_image("PNG")), io.BytesIO(make_id_image("JPEG")),
                     upload_folder=app.config["UPLOAD_FOLDER"], **kw)
    return row


def test_the_batch_verifying_a_registration_tells_the_person(app, world):
    person = world.user().person
    submitted(app, person)
    assert notices_of(person) == []
    reg.process_batch(None, upload_folder=app.config["UPLOAD_FOLDER"])
    notice = only_notice(person)
    assert notice.kind == "registration_verified" and notice.link == "/me/registration"
    assert text(notice) == "您的个人信息登记已审核通过，现在可以接受企业聘用。" and notice.read_at is None


def test_the_data_center_rejecting_tells_the_person_the_reason(app, world):
    person = world.user().person
    row = registration(person, "submitted")
    operator = world.user(platform_role=roles.DATACENTER)
    db.session.commit()
    reg.reject(operator, row, "身份证人像面反光，看不清")
    db.session.commit()
    notice = only_notice(person)
    assert notice.kind == "registration_rejected" and notice.link == "/me/registration"
    assert text(notice) == "您的个人信息登记未通过审核，原因：身份证人像面反光，看不清。请按原因修改后重新登记。"


def test_a_rejection_by_the_batch_names_its_translated_reason(app, world):
    person = world.user().person
    row = registration(person, "submitted")  # its images are not readable: the batch rejects it
    db.session.commit()
    folder = app.config["UPLOAD_FOLDER"]
    os.makedirs(os.path.join(folder, "test"), exist_ok=True)
    for name in ("front.jpg", "back.jpg"):
        with open(os.path.join(folder, "test", name), "wb") as f:
            f.write(b"not an image")
    reg.process_batch(None, upload_folder=folder)
    assert db.session.get(type(row), row.id).status == "rejected"
    notice = only_notice(person)
    assert notice.kind == "registration_rejected" and "身份证国徽面图片无法识别" in text(notice)


def test_a_hire_request_asks_the_person_with_a_link_to_the_consent_task(app, world):
    s = staffing(world, workers=0)
    person = employee(world, s.gc.enterprise, status="ended")
    employment = employment_service.request_hire(s.gc.hr, s.gc.enterprise, person.name, person.id_number)
    db.session.commit()
    task = employment_service.open_task(employment, "worker_consent")
    notice = only_notice(person)
    assert notice.kind == "hire_consent" and notice.link == f"/inbox/{task.id}"
    assert text(notice) == f"{s.gc.enterprise.name} 向您发起聘用，请确认是否同意。"


def test_a_dismissal_asks_the_person_with_reason_and_a_link_to_answer(app, world):
    s = staffing(world, workers=1)
    worker = s.gc.workers[0]
    [result] = separation_service.dismiss(s.gc.hr, s.gc.enterprise, [worker.id], "项目结束，不再续用")
    assert result.ok
    task = db.session.scalar(select(HumanTask).where(HumanTask.task_key == "worker_consent",
                                                     HumanTask.status == "open"))
    notice = only_notice(worker)
    assert notice.kind == "dismissal_consent" and notice.link == f"/inbox/{task.id}"
    assert text(notice) == (f"{s.gc.enterprise.name} 发起与您解除聘用关系，原因：项目结束，不再续用。"
                            "请选择同意或不同意。")


def test_a_refused_dismissal_tells_nobody(app, world):
    s = staffing(world, workers=0)
    [result] = separation_service.dismiss(s.gc.hr, s.gc.enterprise, [s.gc.pm_person.id], "调岗")
    assert not result.ok and notices_of(s.gc.pm_person) == []


def test_wages_paid_and_failed_each_tell_the_worker_once(app, world):
    s = payroll_staffing(world)
    batch = pushed_batch(s, "2026-10", date(2026, 10, 28), date(2026, 10, 30))
    failed, ok = s.gc.workers[0], s.sub.workers[0]
    paid(batch, date(2026, 10, 31), failed={failed.id})
    notice = only_notice(ok)
    assert notice.kind == "wage_paid" and notice.link == "/me/wages"
    assert text(notice) == f"{s.project.name} 2026-10 的工资 6,000.00 元已由银行发放。"
    notice = only_notice(failed)
    assert notice.kind == "wage_failed" and notice.link == "/me/bank-card"
    assert text(notice) == f"{s.project.name} 2026-10 的工资 6,000.00 元发放失败（账户已冻结），请绑定或更正本人银行卡。"
    paid(batch, date(2026, 11, 1), failed={failed.id})  # the same word again: nothing new to tell
    assert len(notices_of(failed)) == 1 and len(notices_of(ok)) == 1


def test_the_links_are_the_pages_they_name(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match(notices.REGISTRATION_PATH)[0] == "worker.registration"
    assert adapter.match(notices.EMPLOYMENT_PATH)[0] == "separation.me.employment"
    assert adapter.match(notices.WAGES_PATH)[0] == "payroll_wages.mine"
    assert adapter.match(notices.BANK_CARD_PATH)[0] == "worker.bank_card"
    assert adapter.match(notices.task_path(7)) == ("inbox.task", {"task_id": 7})


def test_a_person_marks_only_their_own_notices_read(app, world):
    mine, theirs = world.user().person, world.user().person
    a = notices.notify(mine.id, "registration_verified")
    b = notices.notify(theirs.id, "registration_verified")
    db.session.commit()
    assert notices.mark_read(mine.id, [a.id, b.id]) == 1
    db.session.commit()
    assert notices.unread_count(mine.id) == 0 and notices.unread_count(theirs.id) == 1
    assert [n.id for n in db.session.scalars(notices.of_person(mine.id))] == [a.id]
