"""On-site pages (DOMAIN §4–5): 【扫一扫】 with its manual entry form, 【确认退场】 from the
roster, 【项目角色授权管理】, 【项目班前签到定位调整】, the daily lists and their CSV, the
工地建设码; and the worker's 个人建设码, 【班前签到】 and 扫码考勤 — who may open each page,
what a submission does, and that no input makes a 500."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, Attendance, SignIn
from app.services import accounts, construction_code, geo, roles
from tests.support.factories import csrf_from, log_in
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import staffing
from tests.unit.test_construction_code import read_qr, svg_to_png


@pytest.fixture
def s(world, client):  # `client` makes app.test_client() isolate each request
    return staffing(world, workers=3)


def signed_in(app, user):
    browser = app.test_client()
    log_in(browser, user)
    return browser


def url(s, suffix=""):
    return f"/projects/{s.project.id}/site/{suffix}"


def post(browser, path, data, page=None):
    """Posts with the CSRF token of `page` (default: `path`) and follows one redirect."""
    html = browser.get(page or path).get_data(as_text=True)
    response = browser.post(path, data={**data, "csrf_token": csrf_from(html)})
    return browser.get(response.headers["Location"]) if response.status_code == 302 else response


def text(response) -> str:
    return response.get_data(as_text=True)


def alerts(html: str) -> list[str]:
    found = re.findall(r'<div class="alert alert-\w+" role="alert">(.*?)</div>', html, re.S)
    return [re.sub(r"\s+", " ", m).strip() for m in found]


def site_operator(world, s):
    """A GC person allocated as 现场操作用户 and holding the role on the project."""
    from tests.support.staffing import employee
    person = employee(world, s.gc.enterprise, "manager")
    confirmed(s.project, person, role="site_operator")
    roles.grant(person.user, roles.SITE_OPERATOR, enterprise_id=s.gc.enterprise.id, project_id=s.project.id)
    db.session.commit()
    return person.user


def status_of(person) -> str:
    return db.session.scalar(select(Allocation.status).where(Allocation.person_id == person.id)
                             .order_by(Allocation.id.desc()).limit(1))


# --- 【扫一扫】 -------------------------------------------------------------------------------------

def test_the_scanner_opens_for_gc_site_staff_and_officers_only(app, s, world):
    operator = signed_in(app, site_operator(world, s))
    gc_pm = signed_in(app, s.gc.pm)
    for browser in (gc_pm, operator):
        html = text(browser.get(url(s, "scan")))
        assert 'name="csrf_token"' in html and "vendor/jsqr/jsQR.js" in html
        assert re.findall(r'name="purpose" id="purpose-(\w+)"', html) == ["entry", "clock_in", "clock_out"]
        assert "确认进场" in html and "上班打卡" in html and "下班打卡" in html and 'name="token"' in html
    clerk = officer(s)
    html = text(signed_in(app, clerk.user).get(url(s, "scan")))
    assert re.findall(r'name="purpose" id="purpose-(\w+)"', html) == ["signin"]
    assert signed_in(app, s.sub.pm).get(url(s, "scan")).status_code == 403  # subcontractors are entered by the GC
    assert signed_in(app, s.gc.hr).get(url(s, "scan")).status_code == 403   # sees the project, not a site role
    assert signed_in(app, world.hr_admin(world.enterprise())).get(url(s, "scan")).status_code == 404
    assert signed_in(app, s.gc.workers[0].user).get(url(s, "scan")).status_code == 404
    assert gc_pm.get("/projects/999999/site/scan").status_code == 404


def enter(browser, s, person):
    """【扫一扫】 (purpose 确认进场) → 确认进场项目 →【确认进场】; returns the last page."""
    screen = post(browser, url(s, "scan"), {"purpose": "entry", "token": code_of(person)})
    token = re.search(r'name="token" value="([^"]+)"', text(screen)).group(1)
    return post(browser, url(s, "entry/"), {"token": token, "purpose": "entry"}, page=url(s, "scan"))


def test_manual_entry_confirms_the_project_then_enters_then_clocks_in(app, s):
    worker = s.sub.workers[0]
    confirmed(s.project, worker)
    pm = signed_in(app, s.gc.pm)
    screen = text(post(pm, url(s, "scan"), {"purpose": "entry", "token": code_of(worker)}))
    assert "确认进场项目" in screen and worker.name in screen and s.project.name in screen
    assert s.sub.enterprise.name in screen and "建筑工人" in screen and ">确认进场</button>" in screen
    assert worker.id_number not in screen and worker.id_number[-4:] in screen  # masked
    assert status_of(worker) == "confirmed"  # nothing happens before 【确认进场】
    done = enter(pm, s, worker)
    assert "进场成功" in text(done) and f"{worker.name}已成功进入{s.project.name}" in text(done)
    assert "返回首页" in text(done) and "再次扫码" in text(done)
    assert status_of(worker) == "on_site"
    again = text(post(pm, url(s, "scan"), {"purpose": "entry", "token": code_of(worker)}))
    assert f"{worker.name}已在{s.project.name}场内" in again and "上班打卡" in again and "下班打卡" in again
    assert ">确认进场</button>" not in again
    token = re.search(r'name="token" value="([^"]+)"', again).group(1)
    punched = post(pm, url(s, "scan"), {"purpose": "clock_in", "token": token})
    assert f"{worker.name}上班打卡成功" in alerts(text(punched))
    assert db.session.scalar(select(Attendance.kind).where(Attendance.person_id == worker.id)) == "clock_in"


def test_the_entry_screens_are_the_gc_site_staffs_only(app, s, world):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    sub_pm = signed_in(app, s.sub.pm)
    html = text(sub_pm.get(url(s)))
    refused = sub_pm.post(url(s, "entry/"), data={"token": code_of(worker), "purpose": "entry",
                                                  "csrf_token": csrf_from(html)})
    assert refused.status_code == 403 and status_of(worker) == "confirmed"
    pm = signed_in(app, s.gc.pm)
    enter(pm, s, worker)
    allocation_id = db.session.scalar(select(Allocation.id).where(Allocation.person_id == worker.id))
    assert pm.get(url(s, f"entry/{allocation_id}/done")).status_code == 200
    assert sub_pm.get(url(s, f"entry/{allocation_id}/done")).status_code == 403
    assert signed_in(app, world.hr_admin(world.enterprise())).get(url(s, f"entry/{allocation_id}/done")).status_code == 404
    assert pm.get(url(s, "entry/99999999/done")).status_code == 404


def test_refused_codes_say_why(app, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    pm = signed_in(app, s.gc.pm)
    with time_machine.travel(datetime.now(timezone.utc) - timedelta(seconds=125), tick=False):
        stale = code_of(worker)  # shown two minutes and more ago (the session's clock is not moved)
    expired = post(pm, url(s, "scan"), {"purpose": "entry", "token": stale})
    assert "建设码已过期，请让对方刷新后重新出示" in alerts(text(expired))
    fresh = code_of(worker)
    forged = fresh[:-3] + ("A" if fresh[-3] != "A" else "B") + fresh[-2:]
    assert "建设码校验失败，不是本系统签发的有效建设码" in alerts(text(post(pm, url(s, "scan"),
                                                                   {"purpose": "entry", "token": forged})))
    assert "无法识别的二维码，请扫描个人建设码" in alerts(text(post(pm, url(s, "scan"),
                                                            {"purpose": "entry", "token": "hello world"})))
    assert "请扫描或输入建设码" in alerts(text(post(pm, url(s, "scan"), {"purpose": "entry", "token": " "})))
    assert "该人员尚未进场，请先【确认进场】" in alerts(text(post(pm, url(s, "scan"),
                                                          {"purpose": "clock_out", "token": fresh})))
    stranger = s.gc.workers[1]  # employed, not allocated here
    assert "该人员未分配到本项目" in alerts(text(post(pm, url(s, "scan"),
                                                  {"purpose": "entry", "token": code_of(stranger)})))
    assert status_of(worker) == "confirmed"


def test_hostile_scanner_input_never_breaks_the_page(app, s):
    pm = signed_in(app, s.gc.pm)
    for data in ({"purpose": "teleport", "token": "x"}, {"purpose": "entry", "token": "a" * 5000},
                 {"purpose": "entry", "token": "<script>alert(1)</script>"}, {"token": "x"},
                 {"purpose": "entry", "token": "x", "lng": "nan", "lat": "inf"},
                 {"purpose": ["entry", "signin"], "token": "x.y.z"}):
        response = post(pm, url(s, "scan"), data)
        assert response.status_code == 200, data
        assert "<script>alert(1)</script>" not in text(response)
    assert pm.get(url(s, "scan?purpose=<b>")).status_code == 200
    assert pm.post(url(s, "scan"), data={"purpose": "entry", "token": "x"}).status_code == 400  # no CSRF token


def test_the_officer_signs_a_worker_in_from_the_scanner(app, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = signed_in(app, officer(s).user)
    no_point = post(clerk, url(s, "scan"), {"purpose": "signin", "token": code_of(worker)})
    assert "该项目未设置签到地址，请项目经理设置" in alerts(text(no_point))
    set_point(s.project, s.gc.pm)
    lng, lat = site_wgs84()
    blind = post(clerk, url(s, "scan"), {"purpose": "signin", "token": code_of(worker)})
    assert "请开启定位后再签到" in alerts(text(blind))
    done = post(clerk, url(s, "scan"), {"purpose": "signin", "token": code_of(worker), "lng": lng, "lat": lat,
                                        "coord_system": "wgs84"})
    assert f"{worker.name}签到成功" in alerts(text(done))
    again = post(clerk, url(s, "scan"), {"purpose": "signin", "token": code_of(worker), "lng": lng, "lat": lat})
    assert f"{worker.name}今日已签到" in alerts(text(again))
    refused = post(clerk, url(s, "scan"), {"purpose": "entry", "token": code_of(worker)})
    assert "只有施工总包在本项目的项目经理或现场操作用户可以进行进场、考勤和退场操作" in alerts(text(refused))


# --- 【确认退场】 and the overview's links --------------------------------------------------------

def test_overview_links_by_role(app, s, world):
    gc_html = text(signed_in(app, s.gc.pm).get(url(s)))
    for testid in ("scan-link", "site-code-link", "records-link", "roles-link", "location-link", "exit-bar"):
        assert f'data-testid="{testid}"' in gc_html, testid
    sub_html = text(signed_in(app, s.sub.pm).get(url(s)))
    assert 'data-testid="records-link"' in sub_html
    for testid in ("scan-link", "roles-link", "location-link", "exit-bar", "site-code-link"):
        assert f'data-testid="{testid}"' not in sub_html, testid
    clerk_html = text(signed_in(app, officer(s).user).get(url(s)))
    assert 'data-testid="officer-signin-link"' in clerk_html and 'data-testid="scan-link"' not in clerk_html


def test_gc_staff_exit_people_from_the_roster_with_each_result(app, s):
    on_site, confirmed_only = s.sub.workers[0], s.sub.workers[1]
    confirmed(s.project, on_site, status="on_site")
    confirmed(s.project, confirmed_only)
    pm = signed_in(app, s.gc.pm)
    html = text(pm.get(url(s)))
    boxes = re.findall(r'name="person_ids" value="(\d+)"', html)
    assert str(on_site.id) in boxes and str(confirmed_only.id) in boxes
    assert str(s.gc.pm_person.id) not in boxes and str(s.sub.pm_person.id) in boxes  # not oneself by a slip
    assert "确定为所勾选的人员办理退场吗" in html and on_site.id_number not in html  # a dialog; masked numbers
    page = post(pm, url(s, "exits"), {"person_ids": [on_site.id, confirmed_only.id, s.gc.workers[2].id]}, page=url(s))
    messages = alerts(text(page))
    assert f"退场成功：{on_site.name}、{confirmed_only.name}" in messages
    assert f"{s.gc.workers[2].name}：该人员不在本项目中" in messages
    assert status_of(on_site) == status_of(confirmed_only) == "exited"
    assert "请选择人员" in alerts(text(post(pm, url(s, "exits"), {}, page=url(s))))
    assert "请选择人员" in alerts(text(post(pm, url(s, "exits"), {"person_ids": "abc"}, page=url(s))))
    sub = signed_in(app, s.sub.pm)
    assert post(sub, url(s, "exits"), {"person_ids": [on_site.id]}, page=url(s)).status_code == 403


# --- 【项目角色授权管理】 ------------------------------------------------------------------------------

def test_gc_pm_adds_and_revokes_a_signin_officer(app, s, world):
    worker = s.sub.workers[0]
    confirmed(s.project, worker)
    pm = signed_in(app, s.gc.pm)
    empty = text(pm.get(url(s, "roles")))
    assert 'data-testid="empty"' in empty and "添加授权" in empty
    found = text(pm.get(url(s, f"roles/new?q={worker.name}")))
    assert "班前签到员" in found and f'name="person_id" value="{worker.id}"' in found
    assert worker.id_number not in found
    assert 'name="person_id"' not in text(pm.get(url(s, "roles/new?q=%25_")))  # a wildcard is a character
    page = post(pm, url(s, "roles/new"), {"person_id": worker.id})
    assert f"已授权{worker.name}为班前签到员" in alerts(text(page))
    assert roles.has_role(worker.user, roles.SIGNIN_OFFICER, project_id=s.project.id)
    listed = text(pm.get(url(s, "roles")))
    assert f'data-person-id="{worker.id}"' in listed and f"确定撤销{worker.name}的班前签到员授权吗" in listed
    twice = post(pm, url(s, "roles/new"), {"person_id": worker.id})
    assert "该人员已是本项目的班前签到员" in alerts(text(twice))
    outsider = s.gc.workers[1]  # not accepted on the project
    assert "只能从本项目已确认接收的人员中选择班前签到员" in alerts(text(post(pm, url(s, "roles/new"),
                                                                   {"person_id": outsider.id})))
    assert "请选择人员" in alerts(text(post(pm, url(s, "roles/new"), {"person_id": "99999999999999999999"})))
    revoked = post(pm, url(s, f"roles/{worker.id}/revoke"), {}, page=url(s, "roles"))
    assert f"已撤销{worker.name}的班前签到员授权" in alerts(text(revoked))
    db.session.refresh(worker.user)
    assert not roles.has_role(worker.user, roles.SIGNIN_OFFICER, project_id=s.project.id)
    assert "该人员不是本项目的班前签到员" in alerts(text(post(pm, url(s, f"roles/{worker.id}/revoke"), {},
                                                             page=url(s, "roles"))))
    for path in ("roles", "roles/new"):
        assert signed_in(app, s.sub.pm).get(url(s, path)).status_code == 403
        assert signed_in(app, world.hr_admin(world.enterprise())).get(url(s, path)).status_code == 404


# --- 【项目班前签到定位调整】 -----------------------------------------------------------------------------

def test_signin_location_form_validates_and_saves(app, s, world):
    pm = signed_in(app, s.gc.pm)
    html = text(pm.get(url(s, "signin-location")))
    assert "尚未设置签到地址" in html and "手动录入坐标" in html and "lbs.amap.com/tools/picker" in html
    assert 'value="300"' in html and '<option selected value="gcj02">' in html
    bad = text(post(pm, url(s, "signin-location"), {"lng": "200", "lat": "", "radius_m": "10",
                                                    "coord_system": "bd09"}))
    for message in ("经度须在 -180 到 180 之间", "请填写纬度", "签到范围须在 50 到 5000 米之间", "坐标系只能是 gcj02 或 wgs84"):
        assert message in bad, message
    assert "请填写有效的数字" in text(post(pm, url(s, "signin-location"), {"lng": "nan", "lat": "31"}))
    saved = text(post(pm, url(s, "signin-location"), {"lng": "121.46558", "lat": "31.189384", "radius_m": "",
                                                      "coord_system": "gcj02"}))
    assert "签到地址已保存：签到范围300米" in alerts(saved)
    assert "121.46558" in saved and "31.189384" in saved and "GCJ-02" in saved
    db.session.refresh(s.project)
    assert (s.project.signin_lng, s.project.signin_radius_m) == (121.46558, 300)
    assert s.project.signin_wgs84_lng != 121.46558  # converted for measuring
    paris = alerts(text(post(pm, url(s, "signin-location"), {"lng": "2.3522", "lat": "48.8566", "radius_m": "500",
                                                             "coord_system": "wgs84"})))
    assert "该坐标不在中国大陆范围内，请确认经纬度是否填反或有误" in paris
    assert signed_in(app, s.sub.pm).get(url(s, "signin-location")).status_code == 403
    assert signed_in(app, world.hr_admin(world.enterprise())).get(url(s, "signin-location")).status_code == 404


# --- daily lists and CSV --------------------------------------------------------------------

def test_daily_lists_with_tabs_csv_and_scope(app, s, world):
    gc_worker, sub_worker = s.gc.workers[0], s.sub.workers[0]
    for person in (gc_worker, sub_worker):
        confirmed(s.project, person)
    pm = signed_in(app, s.gc.pm)
    empty = text(pm.get(url(s, "records")))
    assert 'data-testid="empty"' in empty and "进场记录" in empty and "考勤记录" in empty
    for person in (gc_worker, sub_worker):
        enter(pm, s, person)
    html = text(pm.get(url(s, "records")))
    assert gc_worker.name in html and sub_worker.name in html and gc_worker.id_number not in html
    assert gc_worker.id_number[:4] + "*" * 10 + gc_worker.id_number[-4:] in html

    app.config["PAGE_SIZE"] = 1  # two entries: two pages
    first, second = text(pm.get(url(s, "records"))), text(pm.get(url(s, "records?page=2")))
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second
    assert {gc_worker.name in first, gc_worker.name in second} == {True, False}
    app.config["PAGE_SIZE"] = 20

    sub_html = text(signed_in(app, s.sub.pm).get(url(s, "records")))
    assert sub_worker.name in sub_html and gc_worker.name not in sub_html and "仅显示您所在单位的人员" in sub_html

    today = datetime.now(timezone.utc).astimezone(geo_tz()).date().isoformat()
    response = pm.get(url(s, f"records.csv?kind=entries&date={today}"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    filename = f"project-{s.project.id}-entries-{today}.csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["姓名", "证件号码", "单位", "进场时间", "状态"]
    assert {r[0] for r in rows[1:]} == {gc_worker.name, sub_worker.name}
    assert all("*" in r[1] for r in rows[1:])
    assert pm.get(url(s, "records.csv?kind=signins")).status_code == 200
    assert pm.get(url(s, "records?kind=attendance")).status_code == 200

    # A user who sees the project but none of its people may not list them.
    odd = world.user()
    roles.grant(odd, roles.SITE_OPERATOR, enterprise_id=world.enterprise().id, project_id=s.project.id)
    db.session.commit()
    nosy = signed_in(app, odd)
    assert nosy.get(url(s, "records")).status_code == 403
    assert nosy.get(url(s, "records.csv")).status_code == 403
    assert signed_in(app, world.hr_admin(world.enterprise())).get(url(s, "records")).status_code == 404


def geo_tz():
    from app.services.idcard import SHANGHAI
    return SHANGHAI


def test_bad_dates_and_kinds_never_break_the_lists(app, s):
    pm = signed_in(app, s.gc.pm)
    for raw in ("2026-13-01", "0001-01-01", "9999-12-31", "20260101", "x" * 300, "2026-02-30"):
        page = pm.get(url(s, f"records?date={raw}"))
        assert page.status_code == 200 and "已显示今天的记录" in text(page), raw
        assert pm.get(url(s, f"records.csv?date={raw}")).status_code == 400, raw
    assert pm.get(url(s, "records?kind=nope&page=-3")).status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in text(pm.get(url(s, "records.csv?date=nope")))
    assert pm.get(url(s, "records.csv?kind=nope")).status_code == 400
    assert pm.get(url(s, "records?date=2024-05-01&kind=signins")).status_code == 200


# --- 工地建设码 ------------------------------------------------------------------------------

def test_site_code_page_shows_a_printable_qr_for_site_staff(app, s):
    html = text(signed_in(app, s.gc.pm).get(url(s, "code")))
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    token = re.search(r'data-testid="site-token">([^<]+)<', html).group(1)
    assert read_qr(svg_to_png(svg)) == token and construction_code.read_site_code(token) == s.project.id
    assert "打印" in html and s.project.name in html
    assert signed_in(app, s.sub.pm).get(url(s, "code")).status_code == 403


# --- the worker: 个人建设码 -------------------------------------------------------------------------

def test_personal_code_page_and_its_json_give_a_scannable_code(app, s, client):
    worker = s.gc.workers[0]
    me = signed_in(app, worker.user)
    page = me.get("/me/code")
    html = text(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert worker.name in html and 'data-seconds="120"' in html and "刷新" in html
    token = re.search(r'data-testid="code-token">([^<]+)<', html).group(1)
    assert read_qr(svg_to_png(re.search(r"<svg.*?</svg>", html, re.S).group(0))) == token
    assert construction_code.read_personal_code(token) == worker.id
    body = me.get("/me/code.json").get_json()
    assert set(body) >= {"token", "expires_at", "svg"} and body["seconds"] == 120
    assert construction_code.read_personal_code(body["token"]) == worker.id
    assert read_qr(svg_to_png(body["svg"])) == body["token"]
    assert 'data-testid="code-link"' in html and 'data-testid="signin-link"' in html  # the worker's menu
    assert client.get("/me/code.json").status_code == 302  # to the login page
    staff = accounts.create_staff_account("operator1", "secret123", "运维")
    db.session.commit()
    assert signed_in(app, staff).get("/me/code").status_code == 404


# --- the worker: 【班前签到】 ---------------------------------------------------------------------------

def signin_body(s, officer_person, **extra):
    lng, lat = site_wgs84()
    inside_lng, inside_lat = geo.offset_point(lng, lat, north_m=100)
    return {"project_id": s.project.id, "officer_token": code_of(officer_person), "lng": inside_lng,
            "lat": inside_lat, "coord_system": "wgs84", **extra}


def test_worker_signs_in_inside_the_range_once_a_day(app, s):
    worker = s.sub.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    me = signed_in(app, worker.user)
    html = text(me.get("/me/signin"))
    assert s.project.name in html and 'data-testid="signin-button"' in html and "disabled" in html
    assert '"has_point": false' in html
    no_point = post(me, "/me/signin", signin_body(s, clerk))
    assert "该项目未设置签到地址，请项目经理设置" in alerts(text(no_point))
    set_point(s.project, s.gc.pm)
    html = text(me.get("/me/signin"))
    w_lng, w_lat = site_wgs84()
    assert '"has_point": true' in html and f'"lng": {w_lng}' in html and '"radius": 300' in html
    far_lng, far_lat = geo.offset_point(w_lng, w_lat, east_m=900)
    outside = post(me, "/me/signin", signin_body(s, clerk, lng=far_lng, lat=far_lat))
    assert "您不在项目签到范围内，请到项目现场签到" in alerts(text(outside))
    assert "签到需要打开手机定位" in alerts(text(post(me, "/me/signin", signin_body(s, clerk, lng="", lat=""))))
    not_officer = post(me, "/me/signin", signin_body(s, s.gc.workers[0]))
    assert "该建设码不是本项目班前签到员的建设码" in alerts(text(not_officer))
    done = post(me, "/me/signin", signin_body(s, clerk))
    assert f"{worker.name}签到成功" in alerts(text(done))
    again = post(me, "/me/signin", signin_body(s, clerk))
    assert f"{worker.name}今日已签到" in alerts(text(again))
    assert db.session.scalar(select(SignIn.method).where(SignIn.person_id == worker.id)) == "worker_scan"
    for project_id in ("999999", "99999999999999999999", "-1", "abc"):
        response = post(me, "/me/signin", signin_body(s, clerk, project_id=project_id))
        assert response.status_code == 200 and alerts(text(response)), project_id


def test_a_worker_without_projects_sees_why(app, s):
    html = text(signed_in(app, s.gc.workers[0].user).get("/me/signin"))
    assert 'data-testid="empty"' in html and "您目前没有可签到的项目" in html


# --- the worker: 扫码考勤 --------------------------------------------------------------------------

def test_worker_clocks_in_by_scanning_the_site_code(app, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker, status="on_site")
    set_point(s.project, s.gc.pm)
    me = signed_in(app, worker.user)
    lng, lat = site_wgs84()
    body = {"site_token": construction_code.site_code(s.project), "kind": "clock_in", "lng": lng, "lat": lat,
            "coord_system": "wgs84"}
    html = text(me.get("/me/attendance"))
    assert 'name="site_token"' in html and "扫工地建设码" in html
    assert f"{worker.name}上班打卡成功" in alerts(text(post(me, "/me/attendance", body)))
    assert "无法识别的二维码，请扫描项目的工地建设码" in alerts(text(post(me, "/me/attendance",
                                                                {**body, "site_token": code_of(worker)})))
    assert "签到需要打开手机定位" in alerts(text(post(me, "/me/attendance", {**body, "lng": ""})))
    assert "请选择上班打卡或下班打卡" in alerts(text(post(me, "/me/attendance", {**body, "kind": "nap"})))
