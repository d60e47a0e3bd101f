"""The onboarding story in a real browser (issue: "sign up, log in, the admin creates an
enterprise, its legal representative logs in and creates a project; screenshots of each page")."""
import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Enterprise, Participant, Project, RoleGrant, User
from tests.browser.steps.session import open_menu
from tests.support.factories import PASSWORD
from tests.support.identifiers import make_uscc

LEGAL_REP = {"username": "zhang.wei", "password": "Pujiang2024", "name": "张伟", "phone": "13812345678"}
ENTERPRISE = {"name": "上海浦江建设工程有限公司", "uscc": make_uscc(2024)}
PROJECT = {"code": "PJ-2024-001", "name": "浦江花园二期住宅工程", "address": "上海市闵行区浦江镇联航路100号",
           "wage_account-bank_name": "中国建设银行上海浦江支行", "wage_account-account_no": "31050161393600001234",
           "wage_account-account_name": "上海浦江建设工程有限公司农民工工资专用账户"}


def path_is(path: str):
    """A URL matcher for expect(page).to_have_url: this exact path, any host and query."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def fill(page, values: dict):
    for name, value in values.items():
        page.locator(f"[name='{name}']").fill(value)


def log_in(page, username, password):
    page.goto("/login")
    fill(page, {"username": username, "password": password})
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(path_is("/"))


def field_errors(page, name):
    """The error messages shown under the field called `name`."""
    return page.locator(f"div.mb-3:has([name='{name}']) .invalid-feedback")


def count(model) -> int:
    db.session.expire_all()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()  # end the read: the server thread writes to the same database
    return n


def test_sign_up_enterprise_and_first_project(world, new_page, shoot):
    admin = world.user("admin", name="平台管理员", platform_role="admin")
    outsider = world.user("outsider", name="李四")

    # A person signs up on a phone: the future legal representative.
    phone = new_page(phone=True)
    phone.goto("/signup")
    expect(phone.get_by_role("heading", name="注册账号")).to_be_visible()
    shoot(phone, "signup")
    fill(phone, LEGAL_REP)
    phone.get_by_role("button", name="注册").click()
    expect(phone).to_have_url(path_is("/"))
    expect(phone.locator("h1")).to_have_text(f"您好，{LEGAL_REP['name']}")
    expect(phone.get_by_role("alert")).to_contain_text("注册成功")
    # A new person's home is the worker's: registration is the first step.
    expect(phone.get_by_role("heading", name="第一步：个人信息登记")).to_be_visible()
    expect(phone.get_by_test_id("registration-status")).to_have_text("未登记")
    shoot(phone, "home-after-signup")

    # Logs out through the collapsed navbar menu, then logs in again.
    open_menu(phone)
    phone.get_by_role("button", name="退出登录").click()
    expect(phone).to_have_url(path_is("/login"))
    expect(phone.get_by_role("alert")).to_contain_text("您已退出登录")
    shoot(phone, "login-after-logout")
    log_in(phone, LEGAL_REP["username"], LEGAL_REP["password"])
    expect(phone.locator("h1")).to_have_text(f"您好，{LEGAL_REP['name']}")
    shoot(phone, "home-after-login")

    # The admin, at a desk, registers the enterprise.
    desk = new_page()
    log_in(desk, admin.username, PASSWORD)
    expect(desk.get_by_test_id("current-user")).to_contain_text("平台管理员")
    shoot(desk, "admin-home")
    desk.get_by_role("navigation").get_by_role("link", name="企业聘用管理").click()
    expect(desk).to_have_url(path_is("/enterprises/"))
    expect(desk.get_by_text("暂无企业")).to_be_visible()
    shoot(desk, "admin-enterprises")
    desk.get_by_role("link", name="新增企业").click()
    expect(desk).to_have_url(path_is("/enterprises/new"))
    shoot(desk, "admin-new-enterprise")

    bad_uscc = ENTERPRISE["uscc"][:-1] + ("0" if ENTERPRISE["uscc"][-1] != "0" else "1")
    fill(desk, {"name": ENTERPRISE["name"], "uscc": bad_uscc, "legal_rep_username": LEGAL_REP["username"]})
    desk.get_by_role("button", name="确认").click()
    expect(desk).to_have_url(path_is("/enterprises/new"))
    expect(field_errors(desk, "uscc")).to_have_text(["统一社会信用代码校验位不正确"])
    expect(desk.locator("[name='uscc']")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(desk.locator("[name='name']")).to_have_value(ENTERPRISE["name"])  # the rest is kept
    shoot(desk, "admin-new-enterprise-invalid-uscc")
    assert count(Enterprise) == 0

    desk.locator("[name='uscc']").fill(ENTERPRISE["uscc"])
    desk.get_by_role("button", name="确认").click()
    expect(desk).to_have_url(re.compile(r"/enterprises/\d+$"))
    expect(desk.locator("h1")).to_have_text(ENTERPRISE["name"])
    expect(desk.get_by_role("alert")).to_contain_text("企业已创建")
    staff = desk.locator("li.list-group-item", has_text=f"{LEGAL_REP['name']}（{LEGAL_REP['username']}）")
    expect(staff).to_contain_text("法人")
    shoot(desk, "admin-enterprise-detail")
    enterprise_url = desk.url

    # The legal representative logs in, finds the enterprise and creates a project.
    rep = new_page()
    log_in(rep, LEGAL_REP["username"], LEGAL_REP["password"])
    mine = rep.locator(".card", has=rep.get_by_role("heading", name="我的企业"))
    expect(mine.get_by_role("link", name=ENTERPRISE["name"])).to_be_visible()
    expect(rep.get_by_text("法人 · " + ENTERPRISE["name"])).to_be_visible()
    shoot(rep, "rep-home")
    mine.get_by_role("link", name=ENTERPRISE["name"]).click()
    expect(rep).to_have_url(enterprise_url)
    expect(rep.get_by_role("heading", name="添加人事聘用管理员")).to_be_visible()
    expect(rep.get_by_text("暂未参建任何项目")).to_be_visible()
    shoot(rep, "rep-enterprise-detail")
    rep.get_by_role("link", name="新建项目").click()
    expect(rep).to_have_url(path_is("/projects/new"))
    gc_select = rep.locator("select[name='gc_enterprise_id']")
    expect(gc_select.locator("option")).to_have_text([ENTERPRISE["name"]])
    expect(gc_select.locator("option:checked")).to_have_text(ENTERPRISE["name"])
    shoot(rep, "rep-new-project")
    fill(rep, PROJECT)
    gc_select.select_option(label=ENTERPRISE["name"])
    rep.get_by_role("button", name="确认").click()
    expect(rep).to_have_url(re.compile(r"/projects/\d+$"))
    expect(rep.locator("h1")).to_have_text(PROJECT["name"])
    expect(rep.get_by_role("alert")).to_contain_text("项目已创建")
    expect(rep.locator("dt", has_text="施工总包").locator("+ dd")).to_have_text(ENTERPRISE["name"])
    expect(rep.locator("dt", has_text="项目编号").locator("+ dd")).to_have_text(PROJECT["code"])
    expect(rep.get_by_role("row", name=ENTERPRISE["name"])).to_contain_text("施工总包")
    shoot(rep, "rep-project-detail")
    project_path = re.search(r"/projects/\d+$", rep.url).group(0)

    # The project now shows on the legal rep's home page (on the phone, too) and the enterprise's page.
    rep.goto(enterprise_url)
    expect(rep.get_by_role("link", name=PROJECT["name"])).to_be_visible()
    shoot(rep, "rep-enterprise-with-project")
    phone.goto("/")
    expect(phone.get_by_role("heading", name="我的项目（1）")).to_be_visible()
    expect(phone.get_by_role("link", name=PROJECT["name"])).to_be_visible()
    shoot(phone, "home-with-project")

    # Someone else cannot see it: the same 404 as a page that does not exist.
    other = new_page()
    log_in(other, outsider.username, PASSWORD)
    shoot(other, "outsider-home")
    expect(other.get_by_text(PROJECT["name"])).to_have_count(0)
    response = other.goto(project_path)
    assert response.status == 404
    expect(other.locator("main .alert")).to_contain_text("404 · 页面不存在，或您无权查看。")
    expect(other.get_by_text(PROJECT["name"])).to_have_count(0)
    shoot(other, "outsider-project-404")
    response = other.goto(enterprise_url)
    assert response.status == 404

    # What the pages did is what the database holds.
    db.session.expire_all()
    rep_user = db.session.scalar(select(User).where(User.username == LEGAL_REP["username"]))
    assert rep_user.name == LEGAL_REP["name"]
    enterprise = db.session.scalars(select(Enterprise)).one()
    assert (enterprise.name, enterprise.uscc) == (ENTERPRISE["name"], ENTERPRISE["uscc"])
    assert db.session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == rep_user.id,
                                                           RoleGrant.enterprise_id == enterprise.id)).all() \
        == ["legal_rep"]
    project = db.session.scalars(select(Project)).one()
    assert project_path == f"/projects/{project.id}"
    assert (project.code, project.name, project.address) == (PROJECT["code"], PROJECT["name"], PROJECT["address"])
    assert project.gc_enterprise_id == enterprise.id
    assert (project.wage_bank_name, project.wage_account_no, project.wage_account_name) == (
        PROJECT["wage_account-bank_name"], PROJECT["wage_account-account_no"],
        PROJECT["wage_account-account_name"])
    assert [(p.enterprise_id, p.kind) for p in db.session.scalars(select(Participant))] == \
        [(enterprise.id, "general_contractor")]


def test_form_post_without_csrf_token_is_refused(world, page, shoot):
    user = world.user("wangwu", name="王五")

    # A bare POST, as a cross-site form would send it.
    response = page.request.post("/login", form={"username": user.username, "password": PASSWORD},
                                 max_redirects=0)
    assert response.status == 400
    assert "页面已过期" in response.text()

    # The real login form with its token removed: refused, and nobody is logged in.
    page.goto("/login")
    page.locator("main form input[name='csrf_token']").evaluate("input => input.remove()")
    fill(page, {"username": user.username, "password": PASSWORD})
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="登录").click()
    assert posted.value.status == 400
    expect(page.locator("main .alert")).to_contain_text("400 · 页面已过期，请刷新页面后重新提交。")
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    shoot(page, "login-without-csrf-token")
    page.goto("/")
    expect(page).to_have_url(path_is("/login"))
