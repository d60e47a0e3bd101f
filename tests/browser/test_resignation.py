"""Resignation in a real browser, on a phone (manual 八): 【聘用信息】 →【申请离职】 → reason
→【确认】→【确认】; the enterprise does not agree within 24 hours, so 【立即离职】 appears;
the dialog's 【确认】 ends the employment. Time is moved with time-machine (the live
server runs in this process) and the timer poller is run as `flask timers fire-due`."""
from datetime import datetime, timedelta, timezone

import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Employment, Separation
from tests.browser.steps import separation
from tests.browser.steps.session import Actor, log_in_as, open_menu
from tests.browser.test_hire_story import fresh
from tests.support.staffing import employee

APPLIED = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


def fire_due(app):
    result = app.test_cli_runner().invoke(args=["timers", "fire-due"])
    assert result.exit_code == 0, result.output
    db.session.rollback()


def test_worker_resigns_at_once_after_the_enterprise_let_24_hours_pass(app, world, new_page, shoot):
    enterprise = world.enterprise(name="浦江劳务有限公司")
    world.hr_admin(enterprise)
    person = employee(world, enterprise, name="张典豪")
    phone = new_page(phone=True, reduced_motion="reduce")  # dialogs open without a fade: clean screenshots

    with time_machine.travel(APPLIED) as traveller:
        log_in_as(phone, person.user)
        open_menu(phone)
        phone.get_by_test_id("employment-link").click()
        expect(phone.get_by_test_id("employer")).to_have_text("浦江劳务有限公司")
        expect(phone.get_by_test_id("employment-status")).to_have_text("在职")
        expect(phone.get_by_text(person.id_number)).to_have_count(0)  # masked
        shoot(phone, "employment-active")

        phone.get_by_test_id("resign").click()
        phone.get_by_label("离职原因").fill("家中老人需要照顾")
        shoot(phone, "resign-reason")
        phone.get_by_role("button", name="确认", exact=True).click()
        expect(phone.get_by_test_id("review")).to_contain_text("家中老人需要照顾")
        shoot(phone, "resign-review")
        phone.get_by_role("button", name="确认", exact=True).click()
        expect(phone.get_by_role("alert").first).to_contain_text("离职申请已提交")
        expect(phone.get_by_test_id("employment-status")).to_have_text("离职中")
        expect(phone.get_by_test_id("available-at")).to_contain_text("2026-11-24 09:00")
        expect(phone.get_by_test_id("immediate")).to_have_count(0)
        expect(phone.get_by_test_id("withdraw")).to_be_visible()
        shoot(phone, "resign-waiting")

        # Nobody at the enterprise agrees; a day passes and the poller fires the timer.
        traveller.move_to(APPLIED + timedelta(hours=24, minutes=1))
        fire_due(app)
        phone.reload()
        expect(phone.get_by_test_id("immediate")).to_be_visible()
        shoot(phone, "immediate-available")
        separation.resign_at_once(Actor(phone, person.user.username, person.name), shoot)
        expect(phone.get_by_test_id("empty")).to_be_visible()

    assert fresh(select(Employment.status).where(Employment.person_id == person.id)) == "ended"
    assert fresh(select(Separation.completed_by)) == "person"
