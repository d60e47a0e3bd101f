"""Separation pages (manual 八 and 九): the person's 【聘用信息】 with 【申请离职】, the
waiting state, 【撤回离职申请】 and 【立即离职】; the enterprise's 【批量解聘】 with one result
per person, 【撤销解聘】 and 解聘待确认 →【同意】. Time moved with time-machine; the
timer poller run as `flask timers fire-due` would."""
import html as htmllib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Employment, HumanTask, Separation
from app.services import separation as service
from app.workflow import definitions, runtime
from tests.support.factories import csrf_from, log_in, submit
from tests.support.site import confirmed
from tests.support.staffing import employee, staffing

# 09:00 in Shanghai, tomorrow: session cookies signed now must not look as if they came
# from the future (itsdangerous refuses those), so the story may only move forward.
APPLIED = (datetime.now(timezone.utc) + timedelta(days=1)).replace(
    hour=1, minute=0, second=0, microsecond=0)
SHANGHAI = timezone(timedelta(hours=8))


def shanghai(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
ME = "/me/employment"


@pytest.fixture
def s(world, client):  # `client` installs the isolating client class signed_in() uses
    return staffing(world, workers=2)


def signed_in(app, user):
    browser = app.test_client()  # the `client` fixture has set the isolating client class
    log_in(browser, user)
    return browser


def page(browser, url) -> str:
    response = browser.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def followed(browser, response):
    """Follows a redirect by hand (the isolating client runs each request on its own)."""
    while response.status_code in (302, 303):
        response = browser.get(response.headers["Location"])
    return response


def post(browser, url, data=None, *, page_url=ME):
    """Posts like a browser: the CSRF token taken from the page the button is on."""
    token = csrf_from(page(browser, page_url))
    return followed(browser, browser.post(url, data={**(data or {}), "csrf_token": token}))


def text_of(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def status_of(person) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Employment.status).where(Employment.person_id == person.id)
                             .order_by(Employment.id.desc()).limit(1))


def separations() -> int:
    return db.session.scalar(select(func.count(Separation.id)))


def fire_due(app):
    result = app.test_cli_runner().invoke(args=["timers", "fire-due"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()


def open_task(key) -> HumanTask | None:
    db.session.expire_all()
    return db.session.scalar(select(HumanTask).where(HumanTask.task_key == key, HumanTask.status == "open"))


def staff_url(side, suffix=""):
    return f"/enterprises/{side.enterprise.id}/{suffix}"


def apply(person, reason="回老家发展"):
    service.apply_resignation(person.user, reason)
    db.session.commit()


# --- 【聘用信息】 -------------------------------------------------------------------------

def test_the_employment_page_shows_the_employer_with_the_id_number_masked(app, s):
    worker = s.gc.workers[0]
    browser = signed_in(app, worker.user)
    html = page(browser, ME)
    assert s.gc.enterprise.name in html and "在职" in html and "建筑工人" in html and "010" in html
    assert worker.id_number not in html and worker.id_number[-4:] in html
    assert 'data-testid="resign"' in html and 'data-testid="employment-link"' in html


def test_someone_employed_nowhere_gets_an_empty_state(app, client, world):
    html = page(signed_in(app, world.user()), ME)
    assert 'data-testid="empty"' in html and "您当前没有在职的聘用关系" in html
    assert 'data-testid="resign"' not in html


def test_applying_asks_for_confirmation_then_shows_when_immediate_resignation_opens(app, s):
    worker = s.gc.workers[0]
    browser = signed_in(app, worker.user)
    with time_machine.travel(APPLIED, tick=False):
        review = submit(browser, f"{ME}/resign", {"reason": "回老家发展", "step": "review"})
        assert review.status_code == 200 and 'data-testid="review"' in review.get_data(as_text=True)
        assert separations() == 0  # nothing sent before the second 【确认】
        done = post(browser, f"{ME}/resign", {"reason": "回老家发展", "step": "confirm"}, page_url=f"{ME}/resign")
    html = text_of(done)
    assert "离职申请已提交，等待企业同意" in html and "回老家发展" in html
    assert shanghai(APPLIED) in html  # applied at, in Shanghai
    assert f"{shanghai(APPLIED + timedelta(hours=24))}（北京时间）起【立即离职】" in html
    assert 'data-testid="withdraw"' in html and 'data-testid="immediate"' not in html
    assert status_of(worker) == "resigning"


def redeploy_resignation_waiting(duration: str) -> None:
    """An analyst changed the resignation diagram's waiting period and deployed it."""
    xml = (Path(__file__).resolve().parents[2] / "processes" / "resignation.bpmn").read_text("utf-8")
    definitions.deploy(xml.replace('"PT24H"', f'"{duration}"'), "test")
    db.session.commit()


def test_after_a_48_hour_redeploy_the_pages_say_48_hours_and_a_running_request_keeps_24(app, s):
    earlier, later = s.gc.workers
    with time_machine.travel(APPLIED, tick=False):
        apply(earlier)  # under the 24-hour version
        redeploy_resignation_waiting("PT48H")
        browser = signed_in(app, later.user)
        before = text_of(browser.get(ME))
        assert "企业48小时内未同意的，您可以在本页【立即离职】" in before and "24小时" not in before
        review = text_of(submit(browser, f"{ME}/resign", {"reason": "回老家发展", "step": "review"}))
        assert "企业48小时内未同意的，您可以在【聘用信息】中【立即离职】" in review and "24小时" not in review
        applied = text_of(post(browser, f"{ME}/resign", {"reason": "回老家发展", "step": "confirm"},
                               page_url=f"{ME}/resign"))
        assert f"企业48小时内未同意的，您可于 {shanghai(APPLIED + timedelta(hours=48))}（北京时间）起【立即离职】" in applied
        assert "24小时" not in applied
        kept = text_of(signed_in(app, earlier.user).get(ME))  # a running request keeps its own version
        assert f"企业24小时内未同意的，您可于 {shanghai(APPLIED + timedelta(hours=24))}（北京时间）起" in kept
    with time_machine.travel(APPLIED + timedelta(hours=24, seconds=1), tick=False):
        fire_due(app)
        assert "已满48小时" not in page(browser, ME) and 'data-testid="immediate"' not in page(browser, ME)
        rows = text_of(signed_in(app, s.gc.hr).get(staff_url(s.gc, "resignations")))
        assert "已超过24小时，本人可立即离职" in rows and "已超过48小时" not in rows
        assert f"{shanghai(APPLIED + timedelta(hours=48))} 起本人可立即离职" in rows
    with time_machine.travel(APPLIED + timedelta(hours=48, seconds=1), tick=False):
        fire_due(app)
        html = page(browser, ME)
        assert "企业超过48小时未同意，您可以立即离职。" in html and 'data-testid="immediate"' in html
        rows = text_of(signed_in(app, s.gc.hr).get(staff_url(s.gc, "resignations")))
        assert "已超过48小时，本人可立即离职" in rows and "已超过24小时，本人可立即离职" in rows


def test_review_can_go_back_to_edit_the_reason(app, s):
    browser = signed_in(app, s.gc.workers[0].user)
    edit = submit(browser, f"{ME}/resign", {"reason": "家中有事", "step": "edit"})
    html = edit.get_data(as_text=True)
    assert 'data-testid="review"' not in html and "家中有事</textarea>" in html


@pytest.mark.parametrize("reason", ["", "   ", "长" * 256])
def test_a_missing_or_too_long_reason_is_refused_and_nothing_changes(app, s, reason):
    worker = s.gc.workers[0]
    browser = signed_in(app, worker.user)
    for step in ("review", "confirm"):
        response = submit(browser, f"{ME}/resign", {"reason": reason, "step": step})
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "is-invalid" in html
        assert "请填写原因" in html or "长度不能超过255个字符" in html
    assert separations() == 0 and status_of(worker) == "active"


def test_a_reason_is_shown_escaped(app, s):
    worker = s.gc.workers[0]
    apply(worker, "<script>alert(1)</script>")
    html = page(signed_in(app, worker.user), ME)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    agreements = page(signed_in(app, s.gc.hr), staff_url(s.gc, "resignations"))
    assert "<script>alert(1)</script>" not in agreements


def test_withdrawing_keeps_the_employment_and_removes_the_enterprises_task(app, s):
    worker = s.gc.workers[0]
    apply(worker)
    browser = signed_in(app, worker.user)
    assert "撤回离职申请" in page(browser, ME)
    assert "已撤回离职申请" in text_of(post(browser, f"{ME}/withdraw"))
    assert status_of(worker) == "active" and open_task("enterprise_agree") is None
    again = post(browser, f"{ME}/withdraw")
    assert again.status_code == 200 and "没有进行中的离职申请" in text_of(again)


def test_a_person_with_nothing_pending_cannot_resign_twice_or_at_once(app, s):
    worker = s.gc.workers[0]
    apply(worker)
    browser = signed_in(app, worker.user)
    response = followed(browser, browser.get(f"{ME}/resign"))
    assert "已有进行中的离职或解聘" in text_of(response)
    early = post(browser, f"{ME}/immediate", {"confirm": "y"})
    assert "当前不能立即离职" in text_of(early) and status_of(worker) == "resigning"


def test_immediate_resignation_appears_after_24_hours_and_ends_the_employment(app, s):
    worker = s.sub.workers[0]
    with time_machine.travel(APPLIED, tick=False):
        apply(worker)
    browser = signed_in(app, worker.user)
    with time_machine.travel(APPLIED + timedelta(hours=24, seconds=1), tick=False):
        assert "【立即离职】即将开放" in page(browser, ME)  # due, the poller has not run yet
        fire_due(app)
        html = page(browser, ME)
        assert 'data-testid="immediate"' in html and 'id="immediate-confirm"' in html
        unconfirmed = post(browser, f"{ME}/immediate")
        assert "请在弹窗中点击【确认】" in text_of(unconfirmed) and status_of(worker) == "resigning"
        done = text_of(post(browser, f"{ME}/immediate", {"confirm": "y"}))
    assert "操作成功，已离职" in done and 'data-testid="last-employment"' in done and "已离职" in done
    assert status_of(worker) == "ended"
    assert db.session.scalar(select(Separation.completed_by)) == "person"
    assert open_task("enterprise_agree") is None


def test_a_person_being_dismissed_is_sent_to_the_consent_task(app, s):
    worker = s.gc.workers[0]
    service.dismiss(s.gc.hr, s.gc.enterprise, [worker.id], "项目结束")
    html = page(signed_in(app, worker.user), ME)
    task = open_task("worker_consent")
    assert "解聘中" in html and "项目结束" in html and f'href="/inbox/{task.id}"' in html


@pytest.mark.parametrize("decision, comment, message, ended", [
    ("agree", "", "离职成功", True),
    ("reject", "项目还没结束", "已拒绝解聘，聘用关系保持不变", False),
])
def test_the_persons_consent_to_a_dismissal_says_what_happened(app, s, decision, comment, message, ended):
    worker = s.gc.workers[0]
    service.dismiss(s.gc.hr, s.gc.enterprise, [worker.id], "项目结束")
    db.session.commit()
    browser = signed_in(app, worker.user)
    task = open_task("worker_consent")
    assert 'name="task_ids"' not in page(browser, "/inbox/")  # consent to one's own dismissal is never bulk
    done = post(browser, f"/inbox/{task.id}", {"decision": decision, "comment": comment}, page_url=f"/inbox/{task.id}")
    assert message in text_of(done)
    assert (status_of(worker) == "ended") is ended


def test_staff_accounts_without_a_person_get_404(app, s):
    user = s.gc.hr
    user.person.user_id = None  # no personal record behind this account
    db.session.commit()
    browser = signed_in(app, user)
    assert browser.get(ME).status_code == 404
    assert browser.get(f"{ME}/resign").status_code == 404


# --- 【批量解聘】 and 【撤销解聘】 -----------------------------------------------------------

def test_the_staff_list_offers_batch_dismissal_for_active_employees(app, s):
    html = page(signed_in(app, s.gc.hr), staff_url(s.gc, "staff/"))
    ticked = re.findall(r'name="person_ids"\s+value="(\d+)" form="dismiss-form"', html)
    assert sorted(map(int, ticked)) == sorted([w.id for w in s.gc.workers] + [s.gc.pm_person.id])
    assert 'data-testid="batch-dismiss"' in html and 'data-testid="agreements-link"' in html


def test_batch_dismissal_gives_each_person_a_result(app, s, world):
    worker, manager = s.gc.workers[0], employee(world, s.gc.enterprise, "manager")
    confirmed(s.project, manager, status="on_site", role="site_operator")
    stranger = s.sub.workers[0]  # another enterprise's employee: never named here
    browser = signed_in(app, s.gc.hr)
    query = f"?person_ids={worker.id}&person_ids={manager.id}&person_ids={stranger.id}&person_ids=abc"
    form_page = page(browser, staff_url(s.gc, "dismissals/new") + query)
    assert worker.name in form_page and manager.name in form_page and stranger.name not in form_page
    assert "解除聘用关系" in form_page and 'id="dismiss-confirm"' in form_page
    response = browser.post(staff_url(s.gc, "dismissals"), data={
        "person_ids": [worker.id, manager.id, stranger.id], "reason": "项目结束",
        "csrf_token": csrf_from(form_page)})
    html = text_of(response)
    assert response.status_code == 200 and 'data-testid="dismissal-results"' in html
    assert re.search(rf'data-person-id="{worker.id}" data-ok="true"', html)
    assert re.search(rf'data-person-id="{manager.id}" data-ok="false"', html)
    assert "请先办理退场或更换项目经理" in html
    assert "该人员不是本单位在职人员" in html and stranger.name not in html
    assert (status_of(worker), status_of(manager), status_of(stranger)) == ("dismissing", "active", "active")
    listing = page(browser, staff_url(s.gc, "staff/"))
    assert "解聘中" in listing and f'data-bs-target="#cancel-{worker.id}"' in listing


def test_the_page_says_why_the_pm_was_refused(app, s):
    """The GC's 项目经理 (confirmed, never scanned in): refused, with the manual's reason
    and where he still is; nothing started."""
    pm = s.gc.pm_person
    browser = signed_in(app, s.gc.hr)
    form_page = page(browser, staff_url(s.gc, f"dismissals/new?person_ids={pm.id}"))
    response = browser.post(staff_url(s.gc, "dismissals"), data={
        "person_ids": [pm.id], "reason": "管理岗位调整", "csrf_token": csrf_from(form_page)})
    html = text_of(response)
    row = re.search(rf'<li[^>]*data-person-id="{pm.id}" data-ok="false".*?</li>', html, re.S).group(0)
    assert re.search(r'data-testid="refusal">请先办理退场或更换项目经理<', row)
    assert "管理人员身份需在工地端先完成退场才能解聘" in row
    assert re.search(rf'data-testid="refusal-place">{re.escape(s.project.name)}：项目经理<', row)
    assert status_of(pm) == "active" and separations() == 0


@pytest.mark.parametrize("data, message", [
    ({"reason": ""}, "请填写原因"),
    ({"reason": "项目结束", "person_ids": []}, "请选择人员"),
    ({"reason": "项目结束", "person_ids": ["abc"]}, "请选择人员"),
    ({"reason": "项目结束", "person_ids": ["99999999999999999999"]}, "请选择人员"),
])
def test_batch_dismissal_refuses_bad_input_and_changes_nothing(app, s, data, message):
    worker = s.gc.workers[0]
    browser = signed_in(app, s.gc.hr)
    form_page = page(browser, staff_url(s.gc, f"dismissals/new?person_ids={worker.id}"))
    payload = {"person_ids": [worker.id], **data, "csrf_token": csrf_from(form_page)}
    response = browser.post(staff_url(s.gc, "dismissals"), data=payload)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert separations() == 0 and status_of(worker) == "active"


def test_nothing_ticked_returns_to_the_staff_list(app, s):
    browser = signed_in(app, s.gc.hr)
    response = followed(browser, browser.get(staff_url(s.gc, "dismissals/new?person_ids=0")))
    assert "请先勾选要解聘的在职人员" in text_of(response)


def test_the_enterprise_cancels_a_pending_dismissal(app, s):
    worker = s.gc.workers[0]
    service.dismiss(s.gc.hr, s.gc.enterprise, [worker.id], "项目结束")
    browser = signed_in(app, s.gc.hr)
    url = staff_url(s.gc, f"dismissals/{worker.id}/cancel")
    done = post(browser, url, page_url=staff_url(s.gc, "staff/"))
    assert "已撤销对" in text_of(done) and status_of(worker) == "active"
    assert open_task("worker_consent") is None
    again = post(browser, url, page_url=staff_url(s.gc, "staff/"))
    assert again.status_code == 200 and "该人员没有进行中的解聘" in text_of(again)
    assert post(browser, staff_url(s.gc, "dismissals/99999999999/cancel"),
                page_url=staff_url(s.gc, "staff/")).status_code == 404


# --- 解聘待确认 → 【同意】 -------------------------------------------------------------------

def test_the_enterprise_agrees_to_resignations_one_or_several(app, s):
    first, second = s.gc.workers
    with time_machine.travel(APPLIED, tick=False):
        apply(first, "回老家发展")
        apply(second, "身体原因")
    browser = signed_in(app, s.gc.hr)
    staff_list = page(browser, staff_url(s.gc, "staff/"))
    assert re.search(r'data-testid="agreements-link">解聘待确认 <span[^>]*>2</span>', staff_list)
    html = page(browser, staff_url(s.gc, "resignations"))
    assert first.name in html and "回老家发展" in html and "身体原因" in html and shanghai(APPLIED) in html
    assert first.id_number not in html
    tasks = db.session.scalars(select(HumanTask.id).where(HumanTask.task_key == "enterprise_agree")
                               .order_by(HumanTask.id)).all()
    done = post(browser, staff_url(s.gc, "resignations/agree"), {"task_ids": tasks},
                page_url=staff_url(s.gc, "resignations"))
    assert "解聘成功：已同意2人离职" in text_of(done) and 'data-testid="empty"' in text_of(done)
    assert (status_of(first), status_of(second)) == ("ended", "ended")
    late = post(browser, staff_url(s.gc, "resignations/agree"), {"task_ids": tasks[0]},
                page_url=staff_url(s.gc, "resignations"))
    assert late.status_code == 200 and "该待办已被处理或撤回" in text_of(late)


def test_agreeing_after_the_person_left_at_once_is_a_message_not_an_error(app, s):
    worker = s.gc.workers[0]
    with time_machine.travel(APPLIED, tick=False):
        apply(worker)
    browser = signed_in(app, s.gc.hr)
    form_page = page(browser, staff_url(s.gc, "resignations"))
    agree = open_task("enterprise_agree")
    with time_machine.travel(APPLIED + timedelta(hours=25), tick=False):
        fire_due(app)
        runtime.complete(open_task("immediate_resignation"), worker.user, {"confirm": True})
    response = followed(browser, browser.post(staff_url(s.gc, "resignations/agree"),
                                              data={"task_ids": agree.id, "csrf_token": csrf_from(form_page)}))
    assert response.status_code == 200 and "该待办已被处理或撤回" in text_of(response)


def test_a_task_claimed_by_a_colleague_or_of_another_enterprise_is_refused(app, s):
    apply(s.gc.workers[0])
    apply(s.sub.workers[0])
    gc_task, sub_task = (db.session.scalars(select(HumanTask).where(HumanTask.task_key == "enterprise_agree")
                                            .order_by(HumanTask.id)).all())
    runtime.claim(gc_task, s.gc.enterprise.legal_rep)
    db.session.commit()
    browser = signed_in(app, s.gc.hr)
    html = page(browser, staff_url(s.gc, "resignations"))
    assert "已认领" in html and f'value="{gc_task.id}"' not in html
    response = post(browser, staff_url(s.gc, "resignations/agree"), {"task_ids": [gc_task.id, sub_task.id, "x"]},
                    page_url=staff_url(s.gc, "resignations"))
    html = text_of(response)
    assert "该待办已被他人认领" in html and f"待办 #{sub_task.id}：不存在或无权处理" in html
    assert status_of(s.gc.workers[0]) == "resigning" and status_of(s.sub.workers[0]) == "resigning"
    nothing = post(browser, staff_url(s.gc, "resignations/agree"), page_url=staff_url(s.gc, "resignations"))
    assert "请先勾选要同意的离职申请" in text_of(nothing)


def test_an_empty_agreement_list_says_so(app, s):
    html = page(signed_in(app, s.gc.enterprise.legal_rep), staff_url(s.gc, "resignations"))
    assert 'data-testid="empty"' in html and "暂无待确认的离职申请" in html


# --- who may -------------------------------------------------------------------------------

def test_only_the_enterprises_legal_rep_and_hr_reach_its_separation_pages(app, s, world):
    worker = s.gc.workers[0]
    apply(s.gc.workers[1])
    service.dismiss(s.gc.hr, s.gc.enterprise, [worker.id], "项目结束")
    task = open_task("enterprise_agree")
    gets = [staff_url(s.gc, "resignations"), staff_url(s.gc, f"dismissals/new?person_ids={worker.id}")]
    posts = [staff_url(s.gc, "dismissals"), staff_url(s.gc, f"dismissals/{worker.id}/cancel"),
             staff_url(s.gc, "resignations/agree")]
    pm = world.project_manager(s.project, s.gc.enterprise)  # sees the enterprise, does not hire
    for user, status in ((s.sub.hr, 404), (worker.user, 404), (pm, 403)):
        browser = signed_in(app, user)
        token = csrf_from(page(browser, ME))
        for url in gets:
            assert browser.get(url).status_code == status, (user.name, url)
        for url in posts:
            response = browser.post(url, data={"csrf_token": token, "task_ids": task.id, "person_ids": worker.id,
                                               "reason": "x"})
            assert response.status_code == status, (user.name, url)
    assert status_of(worker) == "dismissing" and status_of(s.gc.workers[1]) == "resigning"


def test_every_form_carries_a_csrf_token_and_posts_without_one_are_refused(app, s):
    worker = s.gc.workers[0]
    apply(worker)
    person = signed_in(app, worker.user)
    assert 'name="csrf_token"' in page(person, ME)
    assert person.post(f"{ME}/withdraw").status_code == 400
    assert person.post(f"{ME}/resign", data={"reason": "x", "step": "confirm"}).status_code == 400
    hr = signed_in(app, s.gc.hr)
    assert 'name="csrf_token"' in page(hr, staff_url(s.gc, "resignations"))
    assert hr.post(staff_url(s.gc, "resignations/agree"), data={"task_ids": 1}).status_code == 400
    other = s.gc.workers[1]
    assert hr.post(staff_url(s.gc, "dismissals"), data={"person_ids": other.id, "reason": "x"}).status_code == 400
    assert status_of(worker) == "resigning" and status_of(other) == "active"
