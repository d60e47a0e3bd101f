"""`flask demo-data`: a believable world to click through.

A general contractor and two subcontractors, two projects in Shanghai, and an account
for every role. Every demo account's password is DEMO_PASSWORD (see README.md).
"""
import click
from flask import current_app

from app.extensions import db
from app.services import accounts, enterprises, idcard, projects, roles, uscc
from app.models.projects import LABOR_SUBCONTRACTOR, SPECIALIST_SUBCONTRACTOR

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


def _id_number(region: str, birth: str, seq: str) -> str:
    first17 = region + birth + seq
    return first17 + idcard.check_character(first17)


@click.command("demo-data")
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

    for username, name, phone, region, birth, seq in PEOPLE:
        user = accounts.sign_up(username, DEMO_PASSWORD, name, phone, method=method)
        user.person.id_number = _id_number(region, birth, seq)

    for code, name, address, (bank, account_no, account_name) in PROJECTS:
        project = projects.create_project(admin, code=code, name=name, address=address, gc_enterprise=made["gc"],
                                          bank_name=bank, account_no=account_no, account_name=account_name)
        projects.add_participant(admin, project, made["labor"].id, LABOR_SUBCONTRACTOR)
        projects.add_participant(admin, project, made["mep"].id, SPECIALIST_SUBCONTRACTOR)
    db.session.commit()
    click.echo(f"demo data loaded; every demo account's password is {DEMO_PASSWORD}")
