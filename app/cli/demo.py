"""`flask demo-data`: a believable world to click through.

A general contractor and two subcontractors, two projects in Shanghai, an account
for every role, verified registrations and current employments. Every demo account's
password is DEMO_PASSWORD (see README.md).
"""
import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from PIL import Image, ImageDraw

from app.extensions import db
from app.models import Employment, Registration, SignIn
from app.models.projects import LABOR_SUBCONTRACTOR, SPECIALIST_SUBCONTRACTOR
from app.services import (accounts, allocation, bankcard, calendar, demo_ca, enterprises, idcard, payroll,
                          projects, roles, signin, site, uploads, uscc)

DEMO_PASSWORD = "demo2026"

ENTERPRISES = [
    # key, name, USCC body (17 chars; check char computed), legal rep, HR admin
    ("gc", "申城建设集团有限公司", "91310000132200821", ("gc_legal", "李建国"), ("gc_hr", "王芳")),
    ("labor", "浦江劳务有限公司", "91310112MA1GBX3K2", ("labor_legal", "吴海平"), ("labor_hr", "郑丽")),
    ("mep", "东海机电安装工程有限公司", "91310115MA1H7QW41", ("mep_legal", "何志强"), ("mep_hr", "冯静")),
]

PROJECTS = [
    ("MH-0433-04", "闵行新丽城0433-04地块综合产业基地项目", "上海市闵行区新骏环路188号",
     ("中国建设银行上海闵行支行", "31050161393600001234", "申城建设集团有限公司农民工工资专用账户")),
    ("PD-ZJ-2026-01", "浦东张江科学城研发楼项目", "上海市浦东新区科苑路399号",
     ("中国工商银行上海张江支行", "1001244309300056789", "申城建设集团有限公司农民工工资专用账户")),
]

# username, name, phone, region code, birth date (YYYYMMDD), sequence
PEOPLE = [
    ("gc_pm", "陈振华", "13916001001", "310104", "19800312", "231"),
    ("labor_pm", "刘德明", "13916001002", "340104", "19820705", "415"),
    ("mep_pm", "杨光", "13916001003", "320102", "19850921", "137"),
    ("worker1", "张典豪", "13816002001", "410102", "19900118", "553"),
    ("worker2", "刘强", "13816002002", "510104", "19880630", "271"),
    ("worker3", "孙丽", "13816002003", "340202", "19930214", "648"),
    ("worker4", "赵磊", "13816002004", "420102", "19951109", "319"),
    ("worker5", "周杰", "13816002005", "360102", "19870403", "195"),
    ("worker6", "黄伟", "13816002006", "430102", "19910827", "457"),
]


# The first project's 班前签到 point: GCJ-02 longitude, latitude (闵行区新骏环路).
SIGNIN_POINT = (121.462710, 31.023120)

# Who already works where (active employments), by username: identity, trade code.
EMPLOYED = {
    "gc": [("gc_pm", "manager", "900"), ("worker4", "worker", "130"), ("worker5", "worker", "300")],
    "labor": [("labor_pm", "manager", "900"), ("worker1", "worker", "010"), ("worker2", "worker", "020"),
              ("worker3", "worker", "040")],
    "mep": [("mep_pm", "manager", "900")],
}  # worker6 is verified but employed nowhere: ready for 【新建聘用关系】


def _card_image(text: str) -> io.BytesIO:
    """A stand-in ID-card picture (demo data only)."""
    image = Image.new("RGB", (428, 270), (226, 234, 244))
    ImageDraw.Draw(image).rectangle((8, 8, 420, 262), outline=(40, 60, 120), width=3)
    ImageDraw.Draw(image).text((24, 24), text, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def _verified_registration(user, id_number: str) -> None:
    folder = current_app.config["UPLOAD_FOLDER"]
    front = uploads.store_id_image(folder, _card_image("DEMO FRONT"), "id_front")
    back = uploads.store_id_image(folder, _card_image("DEMO BACK " + id_number[-4:]), "id_back")
    now = datetime.now(timezone.utc)
    db.session.add(Registration(person=user.person, name=user.name, id_number=id_number, phone=user.phone,
                                front_image=front, back_image=back, status="verified", submitted_at=now,
                                expected_by=now.date(), processed_at=now))
    user.person.id_number = id_number


def _id_number(region: str, birth: str, seq: str) -> str:
    first17 = region + birth + seq
    return first17 + idcard.check_character(first17)


def _payroll_ready(people, project) -> None:
    """Bank cards for every worker, settlement day 25 on the first project, and the GC
    workers' sign-ins on the working days of the current pay period so far, so that the
    GC PM can 【新增编制】 straight away."""
    for n, username in enumerate(("worker1", "worker2", "worker3", "worker4", "worker5", "worker6"), start=1):
        body = f"621700121002{n:06d}"
        person = people[username].person
        person.bank_name, person.bank_card_number = "中国建设银行上海分行", body + bankcard.luhn_check_digit(body)
    payroll.set_settlement_day(people["gc_pm"], project, "25")
    today = calendar.today_in_shanghai()
    start, _ = payroll.period("25", today.strftime("%Y-%m") if today.day <= 25 else
                              (today.replace(day=28) + timedelta(days=4)).strftime("%Y-%m"))
    officer = people["worker4"].person
    for username in ("worker4", "worker5"):
        person = people[username].person
        allocation = site.allocation_on(person.id, project.id)
        day = start
        while day < today:
            if calendar.is_working_day(day):
                db.session.add(SignIn(project_id=project.id, person_id=person.id, allocation_id=allocation.id,
                                      enterprise_id=allocation.enterprise_id, work_date=day, method="officer_scan",
                                      officer_person_id=officer.id))
            day += timedelta(days=1)
    db.session.commit()


def _demo_certificates(people, gc) -> Path:
    """A demo CA and PKCS#12 files for the GC PM (ID number) and the GC (USCC), for
    【去签署】; `make demo` trusts this CA through SIGNING_TRUST_ROOTS."""
    folder = Path(current_app.instance_path) / "demo-certificates"
    folder.mkdir(parents=True, exist_ok=True)
    ca = demo_ca.create_ca()
    pm = people["gc_pm"].person
    files = {"demo-ca.pem": ca.cert_pem,
             "gc_pm.p12": demo_ca.issue_person(ca, pm.name, pm.id_number, DEMO_PASSWORD),
             "gc_enterprise.p12": demo_ca.issue_enterprise(ca, gc.name, gc.uscc, DEMO_PASSWORD)}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@click.command("demo-data")
@with_appcontext
def demo_data():
    """Load the demo world (once; a second run changes nothing)."""
    if accounts.find_user("admin") is not None:
        click.echo("demo data already loaded")
        return
    method = current_app.config["PASSWORD_HASH_METHOD"]
    admin = accounts.create_staff_account("admin", DEMO_PASSWORD, "系统管理员", method=method)
    roles.grant(admin, roles.ADMIN)
    for username, name, role in (("datacenter", "大数据中心操作员", roles.DATACENTER),
                                 ("analyst", "业务分析员", roles.ANALYST)):
        roles.grant(accounts.create_staff_account(username, DEMO_PASSWORD, name, method=method), role)

    made = {}
    for key, name, body, (legal_user, legal_name), (hr_user, hr_name) in ENTERPRISES:
        accounts.sign_up(legal_user, DEMO_PASSWORD, legal_name, "13700000" + str(len(made) * 2 + 101), method=method)
        accounts.sign_up(hr_user, DEMO_PASSWORD, hr_name, "13700000" + str(len(made) * 2 + 102), method=method)
        enterprise = enterprises.create_enterprise(admin, name, body + uscc.check_character(body), legal_user)
        enterprises.add_hr_admin(admin, enterprise, hr_user)
        made[key] = enterprise

    people = {}
    for username, name, phone, region, birth, seq in PEOPLE:
        people[username] = user = accounts.sign_up(username, DEMO_PASSWORD, name, phone, method=method)
        _verified_registration(user, _id_number(region, birth, seq))
    for key, staff in EMPLOYED.items():
        for username, identity, job_type in staff:
            db.session.add(Employment(person=people[username].person, enterprise=made[key], status="active",
                                      identity=identity, job_type=job_type, contract_start=date(2026, 3, 1),
                                      wage_standard_fen=1_200_000 if identity == "manager" else 800_000,
                                      started_at=datetime.now(timezone.utc)))

    built = []
    for code, name, address, (bank, account_no, account_name) in PROJECTS:
        project = projects.create_project(admin, code=code, name=name, address=address, gc_enterprise=made["gc"],
                                          bank_name=bank, account_no=account_no, account_name=account_name)
        projects.add_participant(admin, project, made["labor"].id, LABOR_SUBCONTRACTOR)
        projects.add_participant(admin, project, made["mep"].id, SPECIALIST_SUBCONTRACTOR)
        built.append(project)
    db.session.flush()
    # Each enterprise's manager is its PM on the first project; workers wait to be allocated.
    for key, pm in (("gc", "gc_pm"), ("labor", "labor_pm"), ("mep", "mep_pm")):
        hr = accounts.find_user(f"{key}_hr")
        allocation.designate_manager(hr, built[0], people[pm].person.id)
    db.session.commit()
    # On site: the GC PM sets the sign-in point (GCJ-02, as 高德 shows it) and places the
    # GC's two workers (confirmed at once: the allocator is the PM); worker4 is the
    # sign-in officer; nobody has entered yet.
    gc_pm, first = people["gc_pm"], built[0]
    signin.set_location(gc_pm, first, *SIGNIN_POINT, radius_m=300, coord_system="gcj02")
    allocation.allocate(gc_pm, first, [people["worker4"].person.id, people["worker5"].person.id], "worker")
    signin.appoint_officer(gc_pm, first, people["worker4"].person.id)
    db.session.commit()
    _payroll_ready(people, first)
    folder = _demo_certificates(people, made["gc"])
    click.echo(f"demo signing certificates (password {DEMO_PASSWORD}) are in {folder}")
    click.echo(f"demo data loaded; every demo account's password is {DEMO_PASSWORD}")
