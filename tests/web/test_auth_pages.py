"""Sign-up, login, logout, password change, throttling, unlock and CSRF through the pages."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, User, WebSession
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


# Sessions that end on the server, password change, throttling per address, unlock.

STRANGER, OWNER = "203.0.113.9", "198.51.100.7"


def browser(app, address="127.0.0.1"):
    """Another browser (its own cookies), from a given client address. Tests that use it
    take the `client` fixture, which makes every test client run requests apart."""
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = address
    return other


def replay(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = browser(app)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return thief


def log_out(client):
    html = client.get("/").get_data(as_text=True)
    return client.post("/logout", data={"csrf_token": csrf_from(html)})


def test_a_cookie_copied_before_logout_opens_nothing_after(app, client, world):
    world.user("lisi", name="李四")
    log_in(client, "lisi")
    thief = replay(app, client)
    assert "李四" in thief.get("/inbox/").get_data(as_text=True)  # the copy works while the session lives
    assert log_out(client).headers["Location"] == "/login"
    for path in ("/", "/inbox/", "/password"):
        response = thief.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_logging_in_twice_gives_two_sessions_and_logout_ends_only_its_own(app, client, world):
    world.user("lisi")
    log_in(client, "lisi")
    phone = browser(app)
    log_in(phone, "lisi")
    log_out(client)
    assert phone.get("/").status_code == 200
    assert client.get("/").status_code == 302


def change_password(client, current=PASSWORD, new="newpass456", confirm=None):
    return submit(client, "/password", {"current_password": current, "new_password": new,
                                        "confirm_password": new if confirm is None else confirm})


def test_password_change_ends_every_other_session_and_token_and_renews_this_one(app, client, world):
    user = world.user("lisi", name="李四")
    log_in(client, "lisi")
    assert 'href="/password"' in client.get("/").get_data(as_text=True)  # in the user menu
    other_browser, copied = browser(app), replay(app, client)
    log_in(other_browser, "lisi")
    api = client.post("/api/v1/auth/token", json={"username": "lisi", "password": PASSWORD}).get_json()["token"]

    response = change_password(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "密码已修改" in client.get("/").get_data(as_text=True)  # this browser stays signed in
    assert other_browser.get("/").headers["Location"].startswith("/login")
    assert copied.get("/").headers["Location"].startswith("/login")  # the old cookie of this browser too
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api}"}).status_code == 401
    assert submit(browser(app), "/login", {"username": "lisi", "password": PASSWORD}).status_code == 200
    log_in(browser(app), "lisi", password="newpass456")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "account.password_change", AuditEntry.record_id == str(user.id))) == 1


def test_password_change_refusals_change_nothing(app, client, world):
    user = world.user("lisi")
    log_in(client, "lisi")
    stored = user.password_hash
    for kwargs, message in (({"current": "wrong1234"}, "当前密码不正确"),
                            ({"confirm": "other4567"}, "两次输入的新密码不一致"),
                            ({"new": "abcdefghij"}, "密码至少8位"),
                            ({"current": ""}, "请填写当前密码")):
        response = change_password(client, **kwargs)
        assert response.status_code == 200 and message in response.get_data(as_text=True), message
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == stored
    assert client.get("/").status_code == 200  # still signed in
    no_csrf = client.post("/password", data={"current_password": PASSWORD, "new_password": "newpass456",
                                             "confirm_password": "newpass456"})
    assert no_csrf.status_code == 400
    assert db.session.get(User, user.id).password_hash == stored


def test_password_page_needs_a_login(client):
    assert client.get("/password").headers["Location"].startswith("/login")


def test_a_strangers_failures_do_not_lock_the_owner_out_from_elsewhere(app, client, world):
    world.user("lisi")
    stranger, owner = browser(app, STRANGER), browser(app, OWNER)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        html = submit(stranger, "/login", {"username": "lisi", "password": "guess1234"}).get_data(as_text=True)
    assert "账号已暂时锁定" in html
    html = submit(stranger, "/login", {"username": "lisi", "password": PASSWORD}).get_data(as_text=True)
    assert "账号已暂时锁定" in html  # locked for that address, even with the right password
    log_in(owner, "lisi")  # the owner, from their own address, still gets in
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.locked"))
    assert entry.details["client_address"] == STRANGER


def lock_out(app, username, address=OWNER):
    someone = browser(app, address)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        submit(someone, "/login", {"username": username, "password": "guess1234"})
    return someone


def test_admin_unlocks_a_locked_account(app, client, world):
    user = world.user("lisi")
    owner = lock_out(app, "lisi")
    assert "账号已暂时锁定" in submit(owner, "/login", {"username": "lisi", "password": PASSWORD}).get_data(as_text=True)
    log_in(client, world.admin())
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'data-testid="unlock-lisi"' in page and "解除锁定" in page
    response = client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "已解除账号lisi的登录锁定" in client.get("/admin/users").get_data(as_text=True)
    assert 'data-testid="unlock-lisi"' not in client.get("/admin/users").get_data(as_text=True)
    log_in(owner, "lisi")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "account.unlock", AuditEntry.record_id == str(user.id))) == 1


def test_unlocking_an_account_that_is_not_locked_says_so_and_changes_nothing(app, client, world):
    user = world.user("lisi")
    log_in(client, world.admin())
    page = client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf_from(page)})
    assert "该账号当前未被锁定" in client.get("/admin/users").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "account.unlock")) == 0
    assert client.post("/admin/users/999999/unlock", data={"csrf_token": csrf_from(page)}).status_code == 404


def test_only_an_administrator_may_unlock(app, client, world):
    user = world.user("lisi")
    owner = lock_out(app, "lisi")
    world.user("zhangsan")
    log_in(client, "zhangsan")
    html = client.get("/").get_data(as_text=True)
    assert client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf_from(html)}).status_code == 403
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 400  # and never without CSRF
    assert "账号已暂时锁定" in submit(owner, "/login", {"username": "lisi", "password": PASSWORD}).get_data(as_text=True)
    anonymous = browser(app)
    html = anonymous.get("/login").get_data(as_text=True)
    response = anonymous.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": csrf_from(html)})
    assert response.headers["Location"].startswith("/login")
