"""Sign-up, login, logout, throttling and CSRF through the pages."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.support.factories import PASSWORD, csrf_from, log_in, submit


def test_sign_up_logs_in_and_shows_home(client):
    response = submit(client, "/signup", {"username": "wanggong", "password": "abc12345", "name": "王工",
                                          "phone": "138 1234 5678"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "您好，王工" in home and "注册成功" in home
    assert db.session.scalar(select(User.phone).where(User.username == "wanggong")) == "13812345678"


def test_sign_up_errors_are_shown_next_to_fields_and_nothing_saved(client):
    response = submit(client, "/signup", {"username": "x", "password": "12345678", "name": "", "phone": "123"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("用户名为3至32位", "密码至少8位", "请填写姓名", "手机号码应为以1开头的11位数字"):
        assert message in html
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_username_on_the_page(client, world):
    world.user("taken")
    response = submit(client, "/signup", {"username": "taken", "password": "abc12345", "name": "某人",
                                          "phone": "13812345678"})
    assert "该用户名已被使用" in response.get_data(as_text=True)


def test_login_logout_and_protected_pages(client, world):
    world.user("lisi", name="李四")
    assert client.get("/").headers["Location"].startswith("/login")
    log_in(client, "lisi")
    assert "李四" in client.get("/").get_data(as_text=True)
    html = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    assert client.get("/").status_code == 302


def test_login_redirects_only_to_local_paths(client, world):
    world.user("lisi")
    html = client.get("/login").get_data(as_text=True)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "lisi", "password": PASSWORD, "csrf_token": csrf_from(html)})
    assert response.headers["Location"] == "/"


def test_wrong_password_then_lock(client, world, app):
    world.user("lisi")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        html = submit(client, "/login", {"username": "lisi", "password": "wrong123"}).get_data(as_text=True)
        assert "用户名或密码错误" in html
    html = submit(client, "/login", {"username": "lisi", "password": "wrong123"}).get_data(as_text=True)
    assert "账号已暂时锁定" in html
    html = submit(client, "/login", {"username": "lisi", "password": PASSWORD}).get_data(as_text=True)
    assert "账号已暂时锁定" in html


def test_form_without_csrf_token_is_refused(client, world):
    world.user("lisi")
    response = client.post("/login", data={"username": "lisi", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    response = client.post("/signup", data={"username": "newbie", "password": "abc12345", "name": "新人",
                                            "phone": "13812345678"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "newbie")) == 0


def test_language_switch_to_english(client, world):
    world.user("lisi")
    log_in(client, "lisi")
    html = client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_from(html), "next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert "Log out" in html and "退出登录" not in html


def test_english_from_the_browser_language(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert "Log in" in html
    html = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert "登录" in html and "Log in" not in html


def test_navigation_follows_roles(client, world):
    person = world.user("worker_a")
    log_in(client, person)
    nav = client.get("/").get_data(as_text=True)
    assert "企业聘用管理" not in nav and "审计日志" not in nav
    enterprise = world.enterprise()
    staff_client = client.application.test_client()
    log_in(staff_client, enterprise.legal_rep)
    nav = staff_client.get("/").get_data(as_text=True)
    assert "企业聘用管理" in nav and "项目人员管理" in nav and "审计日志" not in nav
    admin_client = client.application.test_client()
    log_in(admin_client, world.admin())
    assert "审计日志" in admin_client.get("/").get_data(as_text=True)
