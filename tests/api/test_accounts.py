"""Accounts API: sign-up, tokens, /me, platform roles, throttling."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Person, User
from app.models.types import utcnow
from tests.support.factories import PASSWORD, auth, token

PROBLEM = "application/problem+json"


def sign_up(client, **overrides):
    body = {"username": "zhangsan", "password": "abc12345", "name": "张三", "phone": "13812345678"}
    body.update(overrides)
    return client.post("/api/v1/accounts", json=body)


def test_sign_up_creates_account_and_person_then_token_and_me(client):
    response = sign_up(client)
    assert response.status_code == 201
    user_id = response.get_json()["id"]
    tok = token(client, "zhangsan", "abc12345")
    me = client.get("/api/v1/me", headers=auth(tok)).get_json()
    assert me["id"] == user_id and me["username"] == "zhangsan" and me["name"] == "张三"
    person = db.session.get(Person, me["person_id"])
    assert person.user_id == user_id and person.phone == "13812345678"
    assert me["roles"] == []
    stored = db.session.get(User, user_id).password_hash
    assert "abc12345" not in stored and stored.startswith("pbkdf2:")


def test_duplicate_username_is_409_problem_and_case_insensitive(client):
    assert sign_up(client).status_code == 201
    response = sign_up(client, username="ZhangSan", phone="13812345679")
    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == 409 and "errors" in body and "username" in body["errors"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_invalid_sign_up_fields_each_named(client):
    response = sign_up(client, username="a", password="short", name="", phone="12345")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert set(response.get_json()["errors"]) == {"username", "password", "name", "phone"}
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_password_needs_letters_and_digits(client):
    response = sign_up(client, password="abcdefghij")
    assert response.status_code == 422
    assert "密码" in response.get_json()["errors"]["password"]


def test_malformed_json_is_400_problem(client):
    response = client.post("/api/v1/accounts", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.get_json()["detail"]


def test_json_that_is_not_an_object_is_400(client):
    response = client.post("/api/v1/accounts", json=["zhangsan"])
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_nested_values_where_text_expected_are_422_not_500(client):
    response = sign_up(client, name={"first": "张"}, phone=[1, 2])
    assert response.status_code == 422
    assert {"name", "phone"} <= set(response.get_json()["errors"])


def test_no_token_bad_token_and_expired_token_are_401(client, world):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"] == "Bearer"
    user = world.user("lisi")
    tok = token(client, user)
    with time_machine.travel(utcnow() + timedelta(hours=13)):
        assert client.get("/api/v1/me", headers=auth(tok)).status_code == 401


def test_wrong_password_is_401(client, world):
    world.user("lisi")
    response = client.post("/api/v1/auth/token", json={"username": "lisi", "password": "wrong1234"})
    assert response.status_code == 401 and response.mimetype == PROBLEM
    response = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong1234"})
    assert response.status_code == 401


def test_login_is_locked_after_repeated_failures_then_unlocks(client, world, app):
    world.user("wangwu")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert client.post("/api/v1/auth/token", json={"username": "wangwu", "password": "bad12345"}).status_code == 401
    locked = client.post("/api/v1/auth/token", json={"username": "wangwu", "password": "bad12345"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # Even the right password is refused while locked.
    right = client.post("/api/v1/auth/token", json={"username": "wangwu", "password": PASSWORD})
    assert right.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "account.locked")) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"], seconds=1)):
        assert client.post("/api/v1/auth/token",
                           json={"username": "wangwu", "password": PASSWORD}).status_code == 200


def test_admin_grants_platform_role_others_may_not(client, world):
    admin, other = world.admin(), world.user("zhaoliu")
    body = {"username": "zhaoliu", "role": "datacenter"}
    assert client.post("/api/v1/admin/roles", json=body, headers=auth(token(client, other))).status_code == 403
    response = client.post("/api/v1/admin/roles", json=body, headers=auth(token(client, admin)))
    assert response.status_code == 201
    me = client.get("/api/v1/me", headers=auth(token(client, other))).get_json()
    assert {"role": "datacenter", "enterprise_id": None, "project_id": None} in me["roles"]
    bad = client.post("/api/v1/admin/roles", json={"username": "zhaoliu", "role": "legal_rep"},
                      headers=auth(token(client, admin)))
    assert bad.status_code == 422 and "role" in bad.get_json()["errors"]


def test_english_detail_with_accept_language(client):
    response = client.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.get_json()["detail"] == "Missing access token"
    response = client.get("/api/v1/me")
    assert response.get_json()["detail"] == "缺少访问令牌"


def test_unknown_api_path_and_wrong_method_are_problems(client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    wrong = client.delete("/api/v1/accounts")
    assert wrong.status_code == 405 and wrong.mimetype == PROBLEM and "POST" in wrong.headers["Allow"]


# Tokens that end, password change, throttling per client address.

STRANGER, OWNER = "203.0.113.9", "198.51.100.7"


def test_a_revoked_token_is_401_from_then_on_and_only_that_token(client, world):
    user = world.user("lisi")
    revoked, other = token(client, user), token(client, user)
    response = client.delete("/api/v1/auth/token", headers=auth(revoked))
    assert response.status_code == 204 and response.get_data() == b""
    assert client.get("/api/v1/me", headers=auth(revoked)).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=auth(revoked)).status_code == 401
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200
    assert client.delete("/api/v1/auth/token").status_code == 401


def test_revoking_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "204" in doc["paths"]["/api/v1/auth/token"]["delete"]["responses"]
    put = doc["paths"]["/api/v1/me/password"]["put"]
    schema = put["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"current_password", "new_password"}


def change_password(client, tok, current=PASSWORD, new="newpass456"):
    return client.put("/api/v1/me/password", json={"current_password": current, "new_password": new},
                      headers=auth(tok))


def test_password_change_ends_every_token_and_web_session(client, world, app):
    from tests.support.factories import log_in
    user = world.user("lisi")
    caller, other = token(client, user), token(client, user)
    browser = app.test_client()
    log_in(browser, user)
    response = change_password(client, caller)
    assert response.status_code == 204
    for tok in (caller, other):
        assert client.get("/api/v1/me", headers=auth(tok)).status_code == 401
    assert browser.get("/").headers["Location"].startswith("/login")
    assert client.post("/api/v1/auth/token", json={"username": "lisi", "password": PASSWORD}).status_code == 401
    assert client.get("/api/v1/me", headers=auth(token(client, user, "newpass456"))).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "account.password_change")) == 1


def test_password_change_refusals_name_the_field_and_change_nothing(client, world):
    user = world.user("lisi")
    tok = token(client, user)
    stored = user.password_hash
    wrong = change_password(client, tok, current="wrong1234")
    assert wrong.status_code == 422 and wrong.mimetype == PROBLEM
    assert set(wrong.get_json()["errors"]) == {"current_password"}
    weak = change_password(client, tok, new="abcdefghij")
    assert weak.status_code == 422 and set(weak.get_json()["errors"]) == {"new_password"}
    empty = client.put("/api/v1/me/password", json={}, headers=auth(tok))
    assert set(empty.get_json()["errors"]) == {"current_password", "new_password"}
    assert client.put("/api/v1/me/password", json={"current_password": PASSWORD,
                                                  "new_password": "newpass456"}).status_code == 401
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == stored
    assert client.get("/api/v1/me", headers=auth(tok)).status_code == 200


def test_guessing_the_current_password_counts_as_failed_logins(client, world, app):
    user = world.user("lisi")
    tok = token(client, user)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert change_password(client, tok, current="guess1234").status_code == 422
    locked = change_password(client, tok, current="guess1234")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert change_password(client, tok).status_code == 429  # the right one too, while locked


def token_from(client, address, password=PASSWORD, **headers):
    return client.post("/api/v1/auth/token", json={"username": "lisi", "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_a_strangers_failures_lock_only_their_own_address(client, world, app):
    world.user("lisi")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        token_from(client, STRANGER, "guess1234")
    assert token_from(client, STRANGER).status_code == 429
    assert token_from(client, OWNER).status_code == 200
    # without a configured proxy, X-Forwarded-For is the client's own say and is ignored
    assert token_from(client, STRANGER, **{"X-Forwarded-For": OWNER}).status_code == 429


def test_behind_a_proxy_the_address_comes_from_x_forwarded_for(world, database_url, tmp_path):
    from app import create_app
    from tests.conftest import base_config
    world.user("lisi")
    proxied_app = create_app({**base_config(database_url, tmp_path), "PROXY_FIX_X_FOR": 1})
    proxied = proxied_app.test_client()
    proxy = "10.0.0.2"  # every request reaches the app from the proxy's address
    for _ in range(world.app.config["LOGIN_MAX_FAILURES"]):
        token_from(proxied, proxy, "guess1234", **{"X-Forwarded-For": STRANGER})
    assert token_from(proxied, proxy, **{"X-Forwarded-For": STRANGER}).status_code == 429
    assert token_from(proxied, proxy, **{"X-Forwarded-For": OWNER}).status_code == 200
    with proxied_app.app_context():
        db.engine.dispose()


def test_failures_sent_at_once_all_count_and_none_fails(app, world):
    """Eight wrong passwords at the same moment, the first of them all: each is counted
    (a lock cannot be outrun by sending in parallel) and none is a server error."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("row locks and concurrent writers: the PostgreSQL leg runs this")
    import threading

    from app.models import LoginThrottle
    from app.services import accounts as accounts_service
    world.user("racer")
    barrier, outcomes = threading.Barrier(8), []

    def attempt():
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(accounts_service.authenticate("racer", "wrong-password", "192.0.2.1", 100, 15))
            except Exception as error:  # the test fails on it, naming it
                outcomes.append(repr(error))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == [None] * 8
    db.session.expire_all()
    assert db.session.get(LoginThrottle, ("racer", "192.0.2.1")).failures == 8
