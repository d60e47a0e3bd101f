"""The whole story in one world, through the pages (issue 10 part B).

A worker signs up and registers on a phone; the data center verifies the batch; the
labour subcontractor hires him (he consents in 【消息通知】); both units designate their
PMs; the subcontractor's HR allocates him and both levels confirm; the GC PM enters him
by 【扫一扫】 (the manual entry field, with the code read off his phone), clocks him in,
sets the sign-in point and appoints a sign-in officer; he signs in before his shift
inside the range; after a month of sign-ins, payroll is drafted, reviewed by the sub and
the GC, summarised, signed by the GC PM and by the GC with their certificates, queued and
pushed to the bank's outbox by the scheduler's delivery, and paid by the bank's receipt; he reads his wage slip, resigns, and
after 24 hours without the enterprise leaves at once; finally the subcontractor dismisses
its PM — refused while he is on site, accepted once the GC has exited him.

One browser context per person: a phone for workers, a desk for staff. Time is a fixed
moment in the real future (tomorrow 09:00 Shanghai, see steps/clock.py), moved only
forward with time-machine; each phase logs in again in its own time.
"""
from datetime import date, timedelta

import time_machine
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Allocation, Employment, SignIn, User
from app.services import construction_code, demo_ca, enterprises, geo, roles, signin
from app.workflow import timers
from tests.browser.steps import hiring, onsite, payroll, separation, staffing
from tests.browser.steps.clock import at, pay_plan, story_start
from tests.browser.steps.session import Actor, flash, fresh, log_in, open_menu, rows
from tests.support.identifiers import make_card_number, make_id_number
from tests.support.images import make_id_image
from tests.support.site import SITE_GCJ02, site_wgs84
from tests.support.staffing import employee

CERT_PASSWORD = "证书密码2026"
BANK_KEY = b"bank-shared-secret"
WORKER = {"username": "chen.jianjun", "name": "陈建军", "password": "Pujiang2024", "phone": "13816002001"}
GC_PM, SUB_PM, OFFICER = "周国平", "孙志刚", "王小明"
GROSS, DEDUCTIONS, NET = "8,800.50", "300", "8,500.50"


def cast(world):
    """The people and units the story starts with (made through the services: their own
    sign-up and onboarding have their own tests): two enterprises on one project, the
    GC's legal rep, the sub's HR, a manager at each unit, a GC worker, the data center."""
    gc_rep = world.user("gc.legal", name="张伟")
    gc = world.enterprise(name="上海浦江建设工程有限公司", legal_rep=gc_rep)
    sub = world.enterprise(name="浦江劳务有限公司")
    sub_hr = world.user("sub.hr", name="李红")
    enterprises.add_hr_admin(None, sub, sub_hr.username)
    project = world.project(gc, subcontractors=[sub])
    project.name = "浦江花园二期住宅工程"
    db.session.commit()
    people = {name: employee(world, unit, identity, name=name)
              for name, unit, identity in ((GC_PM, gc, "manager"), (SUB_PM, sub, "manager"), (OFFICER, gc, "worker"))}
    operator = world.user("dc.operator", name="数据中心操作员", platform_role=roles.DATACENTER)
    return gc, sub, project, people, {"gc_rep": gc_rep, "sub_hr": sub_hr, "operator": operator}


def test_whole_story(app, world, new_page, live_server, shoot, tmp_path):
    start = story_start()
    plan = pay_plan(start.date())
    payday = plan.last + timedelta(days=1)
    id_number = make_id_number(region="410102", birth=date(1990, 1, 18), seq=553)
    front, back = tmp_path / "front.jpg", tmp_path / "back.png"
    front.write_bytes(make_id_image("JPEG"))
    back.write_bytes(make_id_image("PNG"))
    site_lng, site_lat = site_wgs84()  # the sign-in point typed as GCJ-02, in GPS (WGS-84) terms
    near_lng, near_lat = geo.offset_point(site_lng, site_lat, north_m=100)  # where the worker stands

    with time_machine.travel(start) as traveller:
        gc, sub, project, people, staff = cast(world)
        ca = demo_ca.create_ca(payroll.TRUSTED_CA)
        (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
        app.config.update(SIGNING_TRUST_ROOTS=[str(tmp_path / "ca.pem")], BANK_HMAC_KEY=BANK_KEY.decode())

        # Workers on phones (his reports a position 100 m north of the sign-in point), staff at desks.
        worker = Actor(new_page(phone=True, reduced_motion="reduce", permissions=["geolocation"],
                                geolocation={"longitude": near_lng, "latitude": near_lat, "accuracy": 10}),
                       WORKER["username"], WORKER["name"], WORKER["password"])
        officer = Actor(new_page(phone=True), people[OFFICER].user.username, OFFICER)

        def desk(user, name):
            return Actor(new_page(reduced_motion="reduce"), user.username, name)

        datacenter = desk(staff["operator"], "数据中心操作员")
        sub_hr, gc_rep = desk(staff["sub_hr"], "李红"), desk(staff["gc_rep"], "张伟")
        gc_pm, sub_pm = desk(people[GC_PM].user, GC_PM), desk(people[SUB_PM].user, SUB_PM)

        # 1. 个人信息登记: the worker signs up and registers on his phone.
        hiring.sign_up(worker, WORKER["phone"], shoot)
        hiring.register(worker, id_number, WORKER["phone"], front, back, shoot)

        # 2. The data center's 【批量处理】 verifies the batch.
        log_in(datacenter)
        hiring.run_datacenter_batch(datacenter, WORKER["name"], shoot)
        worker.page.reload()
        expect(worker.page.get_by_test_id("registration-status")).to_contain_text("已通过")
        shoot(worker.page, "worker-verified")

        # 3. 用工登记: the sub's HR proposes, the worker consents in 消息通知, HR registers the employment.
        log_in(sub_hr)
        hiring.propose_employment(sub_hr, sub, WORKER["name"], id_number, shoot)
        hiring.answer_in_inbox(worker, "聘用确认（同意/拒绝）", "同意", "已确认", shoot, "worker-hire-consent")
        hiring.register_employment(sub_hr, sub, WORKER["name"], identity="建筑工人", job_type="010",
                                   contract_start=start.date().isoformat(), wage_fen=3_000_000, shoot=shoot)

        # 4. 指定项目经理: each unit's legal rep / HR designates its manager on the project.
        log_in(gc_rep)
        staffing.designate_pm(gc_rep, project, gc, GC_PM, shoot, "gc-rep-designates-pm")
        staffing.designate_pm(sub_hr, project, sub, SUB_PM, shoot, "sub-hr-designates-pm")

        # 5. 人员分配 by the sub's HR; level 1 by the sub's PM, level 2 by the GC's PM.
        staffing.allocate_from_enterprise(sub_hr, sub, project, WORKER["name"], "010", shoot)
        log_in(sub_pm)
        staffing.agree_pending(sub_pm, project, sub, WORKER["name"], shoot, "sub-pm-level1")
        expect(staffing.roster_badge(sub_pm.page, project, sub, WORKER["name"])).to_have_text("待总包确认")
        log_in(gc_pm)
        staffing.agree_pending(gc_pm, project, sub, WORKER["name"], shoot, "gc-pm-level2")
        expect(staffing.roster_badge(gc_pm.page, project, sub, WORKER["name"])).to_have_text("已确认")
        staffing.allocate_on_site(gc_pm, project, OFFICER, shoot)  # the GC's own worker, for step 8

        # 6. 进场 by 【扫一扫】: the code read off the worker's phone, typed in; the sub's PM too.
        code = onsite.personal_code(worker, shoot, "worker-personal-code")
        onsite.scan(gc_pm, project, code, "确认进场", f"{WORKER['name']}已成功进入{project.name}", shoot,
                    "gc-pm-entry")
        onsite.scan(gc_pm, project, onsite.personal_code(sub_pm), "确认进场", f"{SUB_PM}已成功进入{project.name}",
                    shoot, "gc-pm-entry-sub-pm")

        # 7. 考勤: the next scan, 【上班打卡】.
        onsite.scan(gc_pm, project, onsite.personal_code(worker), "上班打卡", f"{WORKER['name']}上班打卡成功", shoot,
                    "gc-pm-clock-in")
        expect(staffing.roster_badge(gc_pm.page, project, sub, WORKER["name"])).to_have_text("已进场")

        # 8. The sign-in point (GCJ-02 from a map) and the 班前签到员.
        onsite.set_signin_point(gc_pm, project, *SITE_GCJ02, shoot)
        onsite.appoint_officer(gc_pm, project, OFFICER, shoot)

        # 9. 班前签到 on the worker's phone, inside the range, with the officer's code.
        log_in(officer)
        officer_code = onsite.personal_code(officer, shoot, "officer-personal-code")
        onsite.worker_signs_in(worker, project, officer_code, 100, shoot)
        assert rows(select(SignIn.work_date, SignIn.method, SignIn.distance_m)) == [
            (start.date(), "worker_scan", 100)]

        # 10. The rest of the month: only the first sign-in had to go through the pages; the
        # others are made by the same service the page calls (direction A: the worker, in
        # range, scans the officer's code), each on its own day at 07:50, Sundays off.
        worker_user = db.session.scalar(select(User).where(User.username == WORKER["username"]))
        day = plan.first + timedelta(days=1)
        while day <= plan.last:
            if day.isoweekday() != 7:
                traveller.move_to(at(day, 7, 50))
                token = construction_code.issue_personal_code(people[OFFICER]).token
                signin.worker_sign_in(worker_user, project.id, token, near_lng, near_lat)
                db.session.commit()
            day += timedelta(days=1)
        days = fresh(select(func.count()).select_from(SignIn))
        assert days >= 20

        # 11. Payday, the day after the period: everyone logs in again, in the new time.
        traveller.move_to(at(payday, 9))
        log_in(worker)
        hiring.bind_bank_card(worker, "中国建设银行", make_card_number(seed=7), shoot)
        log_in(gc_pm)
        payroll.set_settlement_day(gc_pm, project, plan.settlement_day, plan.label)
        batch_no = payroll.new_batch(gc_pm, project, plan.pay_month, shoot)
        log_in(sub_pm)
        payroll.draft_and_submit(sub_pm, project, WORKER["name"], days, GROSS, DEDUCTIONS, NET, shoot)
        log_in(sub_hr)
        payroll.review_from_inbox(sub_hr, "工资支付表审核（分包单位）", shoot, "sub-hr-review")
        payroll.review_on_draft_page(gc_pm, project, shoot)
        payroll.summarize(gc_pm, project, NET, shoot)

        # Two signatures: the GC PM's personal certificate, then the GC's enterprise certificate.
        gc_pm.page.get_by_test_id("sign-link").click()
        pm_cert = tmp_path / "pm.p12"
        pm_cert.write_bytes(demo_ca.issue_person(ca, GC_PM, people[GC_PM].id_number, CERT_PASSWORD))
        payroll.sign(gc_pm.page, pm_cert, CERT_PASSWORD, "项目经理签署完成，等待施工总包单位签署", shoot, "gc-pm-signed")
        expect(gc_pm.page.get_by_test_id("pm-step")).to_contain_text("已签署")
        log_in(gc_rep)
        gc_rep.page.goto("/inbox/")
        gc_rep.page.get_by_role("link", name="施工总包企业签署").click()
        gc_rep.page.get_by_test_id("handoff-link").click()
        enterprise_cert = tmp_path / "enterprise.pfx"
        enterprise_cert.write_bytes(demo_ca.issue_enterprise(ca, gc.name, gc.uscc, CERT_PASSWORD))
        payroll.sign(gc_rep.page, enterprise_cert, CERT_PASSWORD,
                     "施工总包单位签署完成，工资支付表已进入待推送队列，系统将自动推送银行", shoot, "gc-rep-signed")
        payroll.pushed_after_queued(gc_rep.page, app, shoot, "gc-rep-signed-pushed")

        # 12. The bank (default outbox gateway) picks up the files and posts its receipt; there is
        # no page for a bank, so this is the public JSON endpoint, HMAC-authenticated. A receipt
        # signed with another key is refused first.
        receipt = payroll.receipt_for_outbox(app.config["BANK_OUTBOX"], batch_no)
        assert payroll.post_receipt(live_server, receipt, b"not-the-bank")[0] == 401
        assert payroll.post_receipt(live_server, receipt, BANK_KEY) == (200, {"batch_no": batch_no, "status": "paid"})
        gc_pm.page.reload()
        expect(gc_pm.page.get_by_test_id("batch-status")).to_have_text("已发放")
        expect(gc_pm.page.get_by_test_id("pay-status")).to_have_text("已发放")
        shoot(gc_pm.page, "gc-pm-batch-paid")

        # 13. The wage slip on the worker's phone.
        open_menu(worker.page)
        worker.page.get_by_test_id("wages-link").click()
        slip = worker.page.get_by_test_id("wage-slip")
        expect(slip.get_by_test_id("wage-project")).to_have_text(project.name)
        expect(slip.get_by_test_id("wage-net")).to_have_text(NET)
        expect(slip.get_by_test_id("wage-status")).to_have_text("已发放")
        expect(slip.locator("dt:has-text('出勤天数') + dd")).to_have_text(str(days))
        shoot(worker.page, "worker-wage-slip")

        # 14. 离职: applied at 10:00; the enterprise lets 24 hours pass; the timer fires; 【立即离职】.
        traveller.move_to(at(payday, 10))
        separation.apply_to_resign(worker, sub.name, "家中老人需要照顾",
                                   f"{payday + timedelta(days=1):%Y-%m-%d} 10:00", shoot)
        sub_hr.page.goto(f"/enterprises/{sub.id}/staff/")
        expect(sub_hr.page.get_by_test_id("agreements-link")).to_contain_text("解聘待确认 1")
        traveller.move_to(at(payday + timedelta(days=1), 10, 1))
        assert timers.fire_due() >= 1
        separation.resign_at_once(worker, shoot)
        assert fresh(select(Employment.status).where(Employment.person_id == worker_user.person.id)) == "ended"
        assert fresh(select(Allocation.status).where(Allocation.person_id == worker_user.person.id,
                                                     Allocation.project_id == project.id)) == "exited"
        expect(staffing.roster_badge(gc_pm.page, project, sub, WORKER["name"])).to_have_count(0)

        # 15. 批量解聘 of the sub's PM, a 管理人员 still on site: refused until the GC exits him.
        refused = separation.dismiss(sub_hr, sub, SUB_PM, "项目结束，管理岗位调整", shoot, "sub-hr-dismissal-refused")
        expect(refused).to_have_attribute("data-ok", "false")
        expect(refused.get_by_test_id("refusal")).to_have_text("请先办理退场或更换项目经理")
        onsite.exit_from_roster(gc_pm, project, SUB_PM, shoot)
        accepted = separation.dismiss(sub_hr, sub, SUB_PM, "项目结束，管理岗位调整", shoot, "sub-hr-dismissal-accepted")
        expect(accepted).to_have_attribute("data-ok", "true")
        expect(accepted).to_contain_text("解聘中")
        expect(flash(sub_hr.page)).to_contain_text("已发起解聘：共1人")

        # He agrees in 消息通知; his 聘用信息 shows the employment ended.
        hiring.answer_in_inbox(sub_pm, "解聘确认（同意/不同意）", "同意", "离职成功", shoot, "sub-pm-dismissal-consent")
        sub_pm.page.goto("/me/employment")
        expect(sub_pm.page.get_by_test_id("last-employment").get_by_test_id("employment-status")).to_have_text("已离职")
        shoot(sub_pm.page, "sub-pm-employment-ended")
    assert fresh(select(Employment.status).where(Employment.person_id == people[SUB_PM].id)) == "ended"
