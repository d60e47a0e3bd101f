"""NUL characters, lone surrogates, JSON nested too deep, and bodies in an encoding other
than the one they claim, sent where data enters: API JSON, the multipart registration
upload, web forms, query arguments and path segments. Each is a 400 problem+json (API)
or an error page that says what is wrong (web); nothing is written; no `detail` shows a
server path, a repr or an exception class name. (PostgreSQL refuses NUL in text columns:
on that leg these were 500s; on SQLite they were stored.) Random JSON and random bytes
are tests/api/test_hostile_input.py's; BPMN bodies are test_bpmn_encodings.py's."""
import io
import re
import time
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import Enterprise, Registration, User
from tests.support.factories import PASSWORD, auth, csrf_from, log_in, submit, token
from tests.support.identifiers import make_id_number, make_uscc
from tests.support.images import make_id_image

PROBLEM = "application/problem+json"
CHARACTERS = "请求中含有不允许的字符（空字符 U+0000 或不成对的代理字符）。"
# what a detail must never show: a server path, an object repr, an exception class, a traceback
LEAK = re.compile(r"(?:/[\w.-]+){2,}|0x[0-9a-fA-F]{6,}|<\w[\w.]* object|\b[A-Z]\w*(?:Error|Exception|Violation)\b"
                  r"|Traceback|psycopg|sqlalchemy|werkzeug")


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def refused(response, detail: str = CHARACTERS, field: str | None = None):
    """A 400 problem+json saying `detail` (and naming `field`), with nothing leaked."""
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == PROBLEM, (response.status_code, body[:300])
    problem = response.get_json()
    assert problem["detail"] == detail, problem
    assert not LEAK.search(problem["detail"]) and not LEAK.search(problem["title"]), problem
    if field is not None:
        assert list(problem.get("errors", {})) == [field], problem
    return problem


def raw_json(client, path, text: str | bytes, tok=None, method="post"):
    return getattr(client, method)(path, data=text, content_type="application/json",
                                   headers=auth(tok) if tok else {})


def account(username="zhou_ming", name="周明") -> str:
    return f'{{"username": "{username}", "password": "{PASSWORD}", "name": "{name}", "phone": "13912345678"}}'


# --- JSON: NUL and lone surrogates, in values and in keys ----------------------------------------

@pytest.mark.parametrize("text, field", [
    (account(name=r"周\u0000明"), "name"),
    (account(username=r"zhou\u0000"), "username"),
    (account(name=r"\ud800"), "name"),  # a lone high surrogate
    (account(name=r"周\udfff"), "name"),  # a lone low surrogate
    (account(name=r"\udc00\ud800"), "name"),  # a pair in the wrong order
    (account()[:-1] + r', "extra": {"deep": ["ok", "\u0000"]}}', "extra.deep[1]"),
    (account()[:-1] + r', "bad\u0000key": 1}', None),
])
def test_nul_and_lone_surrogates_in_json_are_400_and_nothing_is_created(client, text, field):
    before = count(User)
    problem = refused(raw_json(client, "/api/v1/accounts", text), field=field)
    if field is None:
        assert "errors" not in problem  # a bad key is not echoed back
    assert count(User) == before


def test_a_real_surrogate_pair_is_an_ordinary_character(client):
    response = raw_json(client, "/api/v1/accounts", account(name=r"周\ud83d\ude00"))  # 周😀
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(User.name).where(User.username == "zhou_ming")) == "周😀"


def test_nul_refused_across_json_endpoints(client, world):
    admin, user = token(client, world.admin()), token(client, world.user())
    legal = world.user()
    cases = [
        ("post", "/api/v1/auth/token", {"username": "zhou\u0000", "password": PASSWORD}, None, "username"),
        ("post", "/api/v1/enterprises", {"name": "浦江\u0000建设有限公司", "uscc": make_uscc(501),
                                         "legal_rep_username": legal.username}, admin, "name"),
        ("post", "/api/v1/admin/roles", {"username": legal.username + "\u0000", "role": "analyst"}, admin,
         "username"),
        ("put", "/api/v1/me/bank-card", {"bank_name": "中国\u0000银行", "card_number": "6222020200112233445"},
         user, "bank_name"),
        ("post", "/api/v1/me/resignation", {"reason": "\u0000"}, user, "reason"),
    ]
    enterprises = count(Enterprise)
    for method, path, body, tok, field in cases:
        refused(getattr(client, method)(path, json=body, headers=auth(tok) if tok else {}), field=field)
    assert count(Enterprise) == enterprises
    assert client.post("/api/v1/auth/token", json={"username": legal.username, "password": PASSWORD}).status_code == 200


# --- JSON nested too deep ------------------------------------------------------------------------

def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


TOO_DEEP = "JSON 嵌套不能超过 64 层。"


def test_json_deeper_than_64_levels_is_400_at_once(client):
    for depth in (64, 65, 1000, 100_000):  # the body object itself is the first level
        started = time.monotonic()
        response = raw_json(client, "/api/v1/accounts", account()[:-1] + f', "extra": {nested(depth - 1)}}}')
        assert time.monotonic() - started < 2
        if depth <= 64:
            assert response.status_code == 201, response.get_json()  # unknown keys are ignored
        else:
            refused(response, TOO_DEEP)
    assert count(User) == 1
    refused(raw_json(client, "/api/v1/accounts", nested(100_000)), TOO_DEEP)
    refused(raw_json(client, "/api/v1/accounts", '{"a":' * 70_000 + "1" + "}" * 70_000), TOO_DEEP)


# --- JSON in another encoding ----------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "latin-1"])
def test_a_json_body_that_is_not_utf8_is_400(client, encoding):
    body = account(name="周明" if encoding != "latin-1" else "Zoë").encode(encoding)
    response = raw_json(client, "/api/v1/accounts", body)
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.get_json()["detail"] in ("请求体须为 UTF-8 编码。", "请求体不是有效的JSON")
    assert count(User) == 0


# --- query arguments and path segments --------------------------------------------------------------

def test_nul_in_query_arguments_and_path_segments_is_400(client, world):
    admin = token(client, world.admin())
    enterprise = world.enterprise()
    hr = token(client, enterprise.legal_rep)
    for path, tok, field in [
        ("/api/v1/process-instances?process_key=hire%00consent", admin, "process_key"),
        (f"/api/v1/enterprises/{enterprise.id}/employments?name=%E5%91%A8%00", hr, "name"),
        ("/api/v1/tasks?q=%00", hr, "q"),
        ("/api/v1/process-definitions/hire%00consent/migration-dry-run", admin, "key"),
        ("/api/v1/me?%00=1", hr, None),
    ]:
        refused(client.get(path, headers=auth(tok)), field=field)
    # percent-escapes that are not UTF-8 (a surrogate's bytes) stay literal text: no surrogate
    assert client.get("/api/v1/tasks?q=%ED%A0%80", headers=auth(hr)).status_code == 200


# --- the multipart registration upload ---------------------------------------------------------------

def _registration(client, tok, **overrides):
    data = {"name": "李建华", "id_number": make_id_number(birth=date(1988, 3, 14), seq=21), "agree_notice": "true",
            "id_front": (io.BytesIO(make_id_image("JPEG")), "front.jpg"),
            "id_back": (io.BytesIO(make_id_image("JPEG")), "back.jpg"), **overrides}
    return client.post("/api/v1/me/registration", data=data, headers=auth(tok), content_type="multipart/form-data")


def _nothing_registered(app):
    import os
    assert count(Registration) == 0
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "registrations")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


def test_nul_in_multipart_fields_and_file_names_is_400(app, client, world):
    tok = token(client, world.user())
    refused(_registration(client, tok, name="李\x00建华"), field="name")
    refused(_registration(client, tok, id_front=(io.BytesIO(make_id_image("JPEG")), "front\x00.php")),
            field="id_front")
    refused(_registration(client, tok, **{"agree\x00notice": "true"}), field=None)
    _nothing_registered(app)
    assert _registration(client, tok).status_code == 201  # the same upload, clean, is accepted


def test_multipart_headers_that_are_not_utf8_are_400(app, client, world):
    """Werkzeug drops a form whose part headers it cannot decode; the view would see an
    empty form. (Field values it decodes with replacement characters, as browsers do.)"""
    tok = token(client, world.user())
    image = make_id_image("JPEG")
    id_number = make_id_number(birth=date(1988, 3, 14), seq=21).encode()
    parts = [(b'name="name"', "李建华".encode()), (b'name="id_number"', id_number),
             (b'name="agree_notice"', b"true"), (b'name="id_front"; filename="' + "正面.jpg".encode("gbk") + b'"', image),
             (b'name="id_back"; filename="b.jpg"', image)]
    body = b"".join(b"--B\r\nContent-Disposition: form-data; " + head + b"\r\n\r\n" + value + b"\r\n"
                    for head, value in parts) + b"--B--\r\n"
    response = client.post("/api/v1/me/registration", data=body, headers=auth(tok),
                           content_type="multipart/form-data; boundary=B")
    refused(response, "表单数据无法解析，请以 UTF-8 编码提交。")
    _nothing_registered(app)


# --- web forms and pages --------------------------------------------------------------------------

def page_refused(response, message=CHARACTERS):
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html", (response.status_code, html[:300])
    alert = re.search(r'role="alert">(.*?)</div>', html, re.S).group(1)
    assert message in alert and not LEAK.search(alert), alert


def test_nul_in_web_forms_is_an_error_page_and_nothing_is_created(app, client, world):
    users = count(User)
    page_refused(submit(client, "/signup", {"username": "web_zhou", "password": PASSWORD, "name": "周\x00明",
                                            "phone": "13912345678"}))
    assert count(User) == users
    page_refused(submit(client, "/login", {"username": "admin\x00", "password": PASSWORD}))
    admin = world.admin()
    log_in(client, admin)
    legal = world.user()
    enterprises = count(Enterprise)
    page_refused(submit(client, "/enterprises/new", {"name": "浦江建设有限公司", "uscc": make_uscc(502),
                                                     "legal_rep_username": legal.username + "\x00"}))
    assert count(Enterprise) == enterprises
    for path in ("/admin/audit?action=%00", "/admin/monitor/?q=%00", "/admin/monitor/instances?process=a%00"):
        page_refused(client.get(path))
    assert client.get("/admin/audit?action=login").status_code == 200


def test_a_web_form_that_is_not_utf8_is_an_error_page(client, world):
    html = client.get("/signup").get_data(as_text=True)
    body = ("csrf_token=" + csrf_from(html) + "&username=web_zhou&name=").encode() + "周明".encode("gbk")
    response = client.post("/signup", data=body, content_type="application/x-www-form-urlencoded")
    page_refused(response, "表单数据无法解析，请以 UTF-8 编码提交。")
    assert count(User) == 0


# --- any text, anywhere in a body --------------------------------------------------------------------

FORBIDDEN = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["username", "name", "phone", "password"]), before=st.text(max_size=10),
       bad=FORBIDDEN, after=st.text(max_size=10))
def test_a_forbidden_character_anywhere_in_any_field_is_400(client, field, before, bad, after):
    body = {"username": "hypo_user", "password": PASSWORD, "name": "周明", "phone": "13912345678"}
    body[field] = before + bad + after
    response = client.post("/api/v1/accounts", json=body)
    refused(response, field=field)
    assert count(User) == 0


# --- what a failure tells the caller -------------------------------------------------------------

def test_an_engine_failure_is_told_in_a_sentence(app, client, world):
    """A handler that raises: the instance keeps the engine's account for administrators,
    while the API's detail and the page's message are sentences without class names."""
    from app.models import HumanTask, ProcessInstance
    from app.workflow import definitions, runtime
    from app.workflow.errors import WorkflowFailure
    from tests.workflow.conftest import FAILING, fixture_xml

    definitions.deploy(fixture_xml("flaky_after_approval"), "test")
    enterprise = world.enterprise()
    hr = world.hr_admin(enterprise)
    person = world.user()
    instance = runtime.start("flaky_after_approval", {"enterprise_id": enterprise.id, "person_id": person.person.id})
    db.session.commit()
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instance.id))
    FAILING["on"] = True
    try:
        with pytest.raises(WorkflowFailure) as failure:
            runtime.complete(task, hr, {"decision": "agree"})
        assert "RuntimeError" in failure.value.reason and not LEAK.search(failure.value.message)
        admin = world.admin()
        retried = client.post(f"/api/v1/process-instances/{instance.id}/retry", headers=auth(token(client, admin)))
        assert retried.status_code == 503 and not LEAK.search(retried.get_json()["detail"]), retried.get_json()
        assert "RuntimeError: the bank gateway is down" in db.session.get(ProcessInstance, instance.id).error_message
        log_in(client, admin)
        page = f"/admin/monitor/instances/{instance.id}"
        flashed = submit(client, f"{page}/retry", {}, page=page)
        message = client.get(flashed.location).get_data(as_text=True)
        assert "重试仍然失败，原因见本实例的错误信息。" in message
    finally:
        FAILING["on"] = False
