"""The modeler in a real browser (issue 9 A): the analyst opens 离职 (resignation), selects
the 24-hour boundary timer, makes it 48 hours in the side panel, 【校验】, 【发布】. A
resignation started before the deploy keeps its 24 hours; one started after waits 48.
And a diagram made invalid through the panel is marked on the canvas and not deployed.
Time is moved with time-machine (the live server runs in this process)."""
import re
from datetime import datetime, timedelta, timezone

import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ProcessDefinition, ProcessInstance
from app.services import roles
from app.services import separation as service
from app.workflow import inbox
from tests.browser.steps.session import log_in_as
from tests.browser.test_hire_story import fresh
from tests.browser.test_resignation import fire_due
from tests.support.staffing import employee

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


def open_editor(page, key="resignation"):
    page.goto("/modeler/")
    page.get_by_test_id(f"process-{key}").get_by_role("link", name="编辑").click()
    expect(page.locator("#modeler[data-ready='true']")).to_have_count(1)
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io watermark stays
    expect(page.locator("[data-status]")).to_be_hidden()  # nothing in the file went unread


def select_element(page, element_id):
    page.locator(f".djs-element[data-element-id='{element_id}'] .djs-hit").first.click(force=True)
    expect(page.locator(f"[data-panel][data-selected='{element_id}']")).to_have_count(1)


def immediate_tasks(person) -> int:
    db.session.expire_all()
    count = len(db.session.scalars(inbox.my_tasks(person.user).where(
        HumanTask.task_key == "immediate_resignation")).all())
    db.session.rollback()
    return count


def resign(person):
    service.apply_resignation(person.user, "回老家发展")
    db.session.commit()


def test_a_longer_timer_applies_to_new_resignations_only(app, world, new_page, shoot):
    enterprise = world.enterprise(name="浦江劳务有限公司")
    world.hr_admin(enterprise)
    before, after = employee(world, enterprise, name="张早申"), employee(world, enterprise, name="李晚申")
    analyst = world.user("analyst_li", name="李分析", platform_role=roles.ANALYST)
    page = new_page(reduced_motion="reduce")

    with time_machine.travel(T0, tick=False):
        resign(before)  # under version 1: 24 hours

    with time_machine.travel(T0 + timedelta(hours=1)) as traveller:  # ticking: the pages need a moving clock
        log_in_as(page, analyst)
        page.get_by_test_id("modeler-link").click()
        expect(page.get_by_test_id("process-resignation")).to_contain_text("v1")
        shoot(page, "process-list")
        open_editor(page)
        shoot(page, "editor-opened")

        select_element(page, "waiting_period")
        timer = page.get_by_label("定时器时长")
        expect(timer).to_have_value("PT24H")
        timer.fill("PT48H")
        timer.press("Enter")
        name = page.get_by_label("名称")
        name.fill("48小时未同意")
        name.press("Enter")
        expect(page.locator(".djs-element[data-element-id='waiting_period_label']")).to_contain_text("48小时未同意")
        shoot(page, "timer-changed")

        page.get_by_role("button", name="运行测试用例").click()
        expect(page.locator("[data-status]")).to_have_text(re.compile(r"测试用例：通过 (\d+) 个，共 \1 个。"))
        expect(page.locator("[data-tests] li.list-group-item-success").first).to_be_visible()
        page.get_by_role("button", name="校验").click()
        expect(page.locator("[data-status]")).to_have_text("校验通过；本次修改涉及业务规则规定的时限，发布时需要确认。")
        expect(page.locator("[data-problems] li.list-group-item-danger")).to_have_count(0)
        expect(page.locator("[data-problems] li[data-warning='waiting_period']")).to_contain_text(
            "由 24小时 改为 48小时")
        shoot(page, "validated")
        page.get_by_role("button", name="发布", exact=True).click()
        dialog = page.locator("#publish-confirm")
        expect(dialog).to_be_visible()
        shoot(page, "publish-dialog")
        dialog.get_by_role("button", name="确认发布").click()
        # A rule period changes (DOMAIN §6's 24 hours): answered with the warning, not published.
        warnings = dialog.get_by_test_id("rule-warnings")
        expect(warnings).to_be_visible()
        expect(warnings).to_contain_text("离职等待期")
        expect(warnings).to_contain_text("由 24小时 改为 48小时")
        publish = dialog.get_by_role("button", name="确认发布")
        expect(publish).to_be_disabled()
        assert fresh(select(ProcessDefinition.version).where(ProcessDefinition.key == "resignation",
                                                             ProcessDefinition.version == 2)) is None
        shoot(page, "publish-rule-change")
        dialog.get_by_label("我已核实，确认修改上述规则时限").check()
        publish.click()
        expect(page.locator("[data-status]")).to_have_text("已发布为第 2 版。")
        expect(page.get_by_test_id("opened-version")).to_have_text("已发布：v2")
        shoot(page, "published")

        latest = fresh(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.key == "resignation",
                                                                ProcessDefinition.version == 2))
        assert '"PT48H"' in latest and "spiffworkflow:serviceTaskOperator" in latest
        assert 'formKey' in latest  # the extension elements round-trip

        page.goto("/modeler/resignation/compare?a=1&b=2")
        expect(page.get_by_test_id("change-waiting_period-timer")).to_contain_text('"PT48H"')
        shoot(page, "compare")

        started = datetime.now(timezone.utc)  # the clock has ticked on while the analyst worked
        resign(after)  # under version 2: 48 hours
        versions = {i.subject.get("person_id"): i.definition.version
                    for i in db.session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == "resignation"))}
        db.session.rollback()
        assert versions == {before.id: 1, after.id: 2}

        old_phone, new_phone = new_page(phone=True), new_page(phone=True)
        log_in_as(old_phone, before.user)
        log_in_as(new_phone, after.user)

        traveller.move_to(T0 + timedelta(hours=24, seconds=1))
        fire_due(app)
        assert immediate_tasks(before) == 1 and immediate_tasks(after) == 0
        old_phone.goto("/me/employment")
        expect(old_phone.get_by_test_id("immediate")).to_be_visible()
        expect(old_phone.get_by_test_id("resignation")).to_contain_text("企业超过24小时未同意")
        shoot(old_phone, "before-deploy-24h")
        new_phone.goto("/me/employment")
        expect(new_phone.get_by_test_id("employment-status")).to_have_text("离职中")
        expect(new_phone.get_by_test_id("immediate")).to_have_count(0)
        expect(new_phone.get_by_test_id("available-at")).to_contain_text("企业48小时内未同意的")
        shoot(new_phone, "after-deploy-24h")

        traveller.move_to(started + timedelta(hours=24, seconds=1))
        fire_due(app)
        assert immediate_tasks(after) == 0

        traveller.move_to(started + timedelta(hours=47, minutes=59))
        fire_due(app)
        assert immediate_tasks(after) == 0

        traveller.move_to(started + timedelta(hours=48, seconds=1))
        fire_due(app)
        assert immediate_tasks(after) == 1
        new_phone.reload()
        expect(new_phone.get_by_test_id("immediate")).to_be_visible()
        shoot(new_phone, "after-deploy-48h")


def test_an_unknown_handler_is_marked_on_the_diagram_and_not_deployed(world, new_page, shoot):
    analyst = world.user("analyst_wang", name="王分析", platform_role=roles.ANALYST)
    page = new_page(reduced_motion="reduce")
    log_in_as(page, analyst)
    open_editor(page)

    select_element(page, "complete_by_person")
    handler = page.get_by_label("处理程序")
    expect(handler).to_have_value("resignation_completed")
    # A handler name the code does not provide (as if typed into an older diagram).
    handler.evaluate("""select => { select.add(new Option('send_flowers', 'send_flowers'));
                                    select.value = 'send_flowers';
                                    select.dispatchEvent(new Event('change', {bubbles: true})); }""")
    shoot(page, "handler-changed")

    page.get_by_role("button", name="校验").click()
    expect(page.locator("[data-status]")).to_contain_text("发现 1 个问题")
    problem = page.locator("[data-problems] li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("complete_by_person")
    expect(problem).to_contain_text("的处理程序“send_flowers”未注册")
    expect(problem).to_contain_text("第 ")  # every problem about an element names its line
    expect(page.locator(".djs-element.modeler-problem[data-element-id='complete_by_person']")).to_have_count(1)
    expect(page.locator("[data-problem-marker='complete_by_person']")).to_be_visible()
    shoot(page, "problem-marked")

    page.get_by_role("button", name="发布", exact=True).click()
    page.locator("#publish-confirm").get_by_role("button", name="确认发布").click()
    expect(page.locator("[data-status]")).to_have_text("未发布：流程图有问题，已在图中标出。")
    expect(page.locator("[data-problem-marker='complete_by_person']")).to_be_visible()
    shoot(page, "publish-refused")
    assert fresh(select(ProcessDefinition.version).where(ProcessDefinition.key == "resignation")
                 .order_by(ProcessDefinition.version.desc()).limit(1)) == 1

    # Picking a registered handler again clears it.
    handler.select_option("resignation_completed")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("[data-status]")).to_have_text("校验通过，未发现问题。")
    expect(page.locator(".modeler-problem")).to_have_count(0)


def test_every_process_round_trips_through_the_editor(world, new_page, shoot):
    """Opened and saved unchanged, each shipped diagram keeps its spiffworkflow extensions:
    the exported XML passes the same validation (form keys, handlers, lanes, timers)."""
    analyst = world.user("analyst_zhao", name="赵分析", platform_role=roles.ANALYST)
    page = new_page()
    log_in_as(page, analyst)
    for key in ("hire_consent", "allocation_confirmation", "resignation", "dismissal", "payroll", "payroll_batch"):
        open_editor(page, key)
        page.get_by_role("button", name="校验").click()
        expect(page.locator("[data-status]")).to_have_text("校验通过，未发现问题。")
    shoot(page, "payroll-batch-validated")
