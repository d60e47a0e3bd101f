"""个人信息登记 pages on the phone, the data center's queue, its audited views and decisions."""
import os
from datetime import date, datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Employment, Registration
from app.services import roles
from tests.support.factories import log_in, submit
from tests.support.identifiers import make_card_number, make_id_number
from tests.support.images import make_id_image, upload

FORM = "/me/registration/new"


def form_data(**overrides) -> dict:
    data = {"name": "张建军", "id_number": make_id_number(birth=date(1979, 11, 2), seq=55), "phone": "13812345678",
            "agree_notice": "y", "id_front": upload(make_id_image("JPEG"), "front.jpg"),
            "id_back": upload(make_id_image("PNG"), "back.png")}
    data.update(overrides)
    return data


def register(client, **overrides):
    return submit(client, FORM, form_data(**overrides), page=FORM + "?agree_notice=y")


def session_of(app, user, *password):
    """A browser of its own, logged in as user (each person has their own phone)."""
    other = app.test_client()
    log_in(other, user, *password)
    return other


def audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def stored(app) -> list:
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "registrations")
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_worker_reads_the_notice_then_registers(client, world):
    log_in(client, world.user())
    notice = client.get("/me/registration").get_data(as_text=True)
    assert "填报须知" in notice and "我已阅读以上填报须知" in notice and "开始登记" in notice
    unticked = client.get(FORM)
    assert unticked.status_code == 302 and unticked.headers["Location"].endswith("/me/registration")
    form = client.get(FORM + "?agree_notice=y").get_data(as_text=True)
    assert "身份证国徽面" in form and "身份证人像面" in form and "下一步" in form
    assert 'accept="image/jpeg,image/png"' in form and "capture=" in form and 'enctype="multipart/form-data"' in form
    response = register(client)
    assert response.status_code == 302
    page = client.get("/me/registration").get_data(as_text=True)
    assert "已提交" in page and "预计处理完成日期" in page and "开始登记" not in page
    assert make_id_number(birth=date(1979, 11, 2), seq=55) in page  # the person sees their own number
    assert client.get(FORM + "?agree_notice=y").status_code == 302  # no second registration while pending


def test_a_fake_image_is_refused_on_the_page_and_nothing_is_kept(app, client, world):
    log_in(client, world.user())
    response = register(client, id_front=upload(b"not an image at all", "front.jpg"))
    assert response.status_code == 200
    assert "图片无法识别，请重新拍摄上传" in response.get_data(as_text=True)
    assert stored(app) == [] and db.session.scalar(select(func.count()).select_from(Registration)) == 0
    missing = register(client, id_back=None)
    assert "请上传身份证人像面图片" in missing.get_data(as_text=True)


def test_expected_date_says_estimate_beyond_the_official_calendar(client, world):
    with time_machine.travel(datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc), tick=False):
        log_in(client, world.user())
        register(client)
        page = client.get("/me/registration").get_data(as_text=True)
    assert "2027-01-" in page and "预计</span>" in page


def test_only_the_data_center_opens_the_queue(client, world):
    log_in(client, world.user())
    assert client.get("/datacenter/").status_code == 403
    assert submit(client, "/datacenter/batch", {}, page="/me/registration").status_code == 403


def test_queue_masks_numbers_highlights_overdue_and_runs_the_batch(app, client, world):
    start = datetime(2026, 9, 28, 2, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        worker = world.user()
        log_in(client, worker)
        register(client)
    number = make_id_number(birth=date(1979, 11, 2), seq=55)
    with time_machine.travel(start + timedelta(days=40), tick=False):
        client = session_of(app, world.user(platform_role=roles.DATACENTER))
        queue = client.get("/datacenter/").get_data(as_text=True)
        assert "3101**********" + number[-4:] in queue and number not in queue
        assert "table-danger" in queue and "已超期" in queue and "2026-10-23" in queue
        done = submit(client, "/datacenter/batch", {}, page="/datacenter/")
        assert done.status_code == 302
        assert "批量处理完成：通过1条" in client.get(done.headers["Location"]).get_data(as_text=True)
        assert "暂无待处理的登记" in client.get("/datacenter/").get_data(as_text=True)
        assert "张建军" in client.get("/datacenter/?status=verified").get_data(as_text=True)


def test_detail_shows_full_number_and_images_each_view_audited(app, client, world):
    owner = world.user()
    log_in(client, owner)
    register(client)
    registration = db.session.scalar(select(Registration))
    client = session_of(app, world.user(platform_role=roles.DATACENTER))
    detail = client.get(f"/datacenter/registrations/{registration.id}").get_data(as_text=True)
    assert registration.id_number in detail and f"/datacenter/registrations/{registration.id}/image/front" in detail
    assert audits("personal_data.view_id_number") == 1
    image = client.get(f"/datacenter/registrations/{registration.id}/image/back")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "no-store, private" and image.data.startswith(b"\x89PNG")
    assert client.get(f"/datacenter/registrations/{registration.id}/image/front").mimetype == "image/jpeg"
    assert audits("personal_data.view_id_image") == 2
    assert client.get(f"/datacenter/registrations/{registration.id}/image/side").status_code == 404
    assert client.get(f"/datacenter/registrations/{registration.id + 99}").status_code == 404
    assert audits("personal_data.view_id_image") == 2


def test_others_get_404_for_images_and_leave_no_audit_row(app, client, world):
    owner = world.user()
    log_in(client, owner)
    register(client)
    registration = db.session.scalar(select(Registration))
    employer = world.enterprise()
    db.session.add(Employment(person_id=owner.person.id, enterprise_id=employer.id, status="active"))
    db.session.commit()
    url = f"/datacenter/registrations/{registration.id}/image/front"
    assert client.get(url).status_code == 200  # the person themself
    stranger = session_of(app, world.user())
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/datacenter/registrations/{registration.id}").status_code == 403
    assert session_of(app, employer.legal_rep).get(url).status_code == 200  # the current employer's legal representative
    assert audits("personal_data.view_id_image") == 2


def test_reject_with_reason_then_the_person_sees_it_and_resubmits(app, client, world):
    worker, operator = world.user(), world.user(platform_role=roles.DATACENTER)
    log_in(client, worker)
    register(client)
    registration = db.session.scalar(select(Registration))
    desk = session_of(app, operator)
    url = f"/datacenter/registrations/{registration.id}"
    no_reason = submit(desk, url, {"decision": "reject", "reason": ""})
    assert "请填写不通过的原因" in no_reason.get_data(as_text=True)
    assert submit(desk, url, {"decision": "reject", "reason": "身份证国徽面照片反光，无法辨认"}).status_code == 302
    assert 'name="decision"' not in desk.get(url).get_data(as_text=True)  # decided: no more buttons
    page = client.get("/me/registration").get_data(as_text=True)
    assert "未通过" in page and "身份证国徽面照片反光，无法辨认" in page and "开始登记" in page
    assert register(client, id_number=make_id_number(birth=date(1979, 11, 2), seq=57)).status_code == 302
    assert "已提交" in client.get("/me/registration").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_operator_verifies_one_item(app, client, world):
    worker, operator = world.user(), world.user(platform_role=roles.DATACENTER)
    log_in(client, worker)
    register(client)
    registration = db.session.scalar(select(Registration))
    desk = session_of(app, operator)
    assert submit(desk, f"/datacenter/registrations/{registration.id}", {"decision": "verify"}).status_code == 302
    db.session.refresh(registration)
    assert registration.status == "verified" and registration.processed_by_id == operator.id


def test_bank_card_page(client, world):
    user = world.user()
    log_in(client, user)
    assert "尚未设置工资银行卡" in client.get("/me/bank-card").get_data(as_text=True)
    card = make_card_number(seed=12)
    bad = submit(client, "/me/bank-card", {"bank_name": "中国银行", "card_number": card[:-1] + "x"})
    assert "银行卡号只能包含数字" in bad.get_data(as_text=True)
    assert submit(client, "/me/bank-card", {"bank_name": "中国银行", "card_number": card}).status_code == 302
    page = client.get("/me/bank-card").get_data(as_text=True)
    assert f"{card[:4]} **** **** {card[-4:]}" in page and card not in page


def test_staff_accounts_have_no_worker_pages(client, app):
    app.test_cli_runner().invoke(args=["create-admin", "--username", "root", "--password", "Root12345"])
    log_in(client, "root", "Root12345")
    assert client.get("/me/registration").status_code == 404
