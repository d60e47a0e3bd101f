"""The authorization matrix: every API endpoint × every kind of caller × the objects of
ANOTHER world (another general contractor's project, subcontractor, people, payroll,
tasks and process instances) — never a 2xx that touches or shows the other world.

Two complete worlds are built (tests/reliability/worlds.py). Callers come from world A;
the objects named in paths and bodies come from world B. Each row of MATRIX says how to
call one endpoint against B and what a caller from A may get:

- ``foreign``: the path names B's object: 401 (anonymous), 403 or 404, nothing else —
  not 409 or 422 either, which would mean the request got past the check on who may.
- ``body``: the body names B's objects: also 422 (the named thing "does not exist" for
  the caller).
- ``platform``: a platform job (monitoring, deployment, granting roles): 2xx only for
  the roles in ``allowed``; no row of B's data in anyone else's answer.
- ``self``: the caller's own things (/me, lists of what the caller may see): 2xx is
  fine, but no marker of world B may appear in the answer.

Every answer is also searched for B's markers (its tag in every name, its code in every
username and project code, its USCCs, ID numbers and batch numbers). The positive
controls show that B's own users do get B's data through the same rows, so the search
would see a leak. The list of rows must equal the Flask URL map under /api/v1: a new
endpoint without a row fails here.
"""
import io
import json
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.reliability.worlds import build
from tests.support.factories import PASSWORD, auth

ROLES = ("worker", "hr", "sub_hr", "legal_rep", "sub_legal_rep", "gc_pm", "sub_pm", "site_operator",
         "signin_officer", "datacenter", "analyst", "admin", "anonymous")
OUTSIDERS = tuple(r for r in ROLES if r != "admin")  # the administrator's scope is the whole platform
REFUSED = {401, 403, 404}


@dataclass
class Row:
    method: str
    rule: str  # as in the URL map
    call: object  # (B) → (path, request kwargs)
    kind: str = "foreign"  # foreign | body | platform | self
    allowed: tuple = ()  # platform rows: roles for which a 2xx is their job
    owner: str | None = None  # a role of B that may make this call: the positive control
    owner_sees_marker: bool = False
    extra: set = field(default_factory=set)  # further refusals this row may answer with


def _json(body):
    return {"json": body}


def _xml():
    from pathlib import Path
    xml = (Path(__file__).resolve().parents[2] / "processes" / "resignation.bpmn").read_bytes()
    return {"data": xml, "content_type": "application/xml"}


def _certificate():
    return {"data": {"certificate": (io.BytesIO(b"\x30\x82 not a pkcs12"), "cert.p12"), "password": "x"},
            "content_type": "multipart/form-data"}


def _registration(b):
    from tests.support.images import make_id_image
    return {"data": {"name": b.free_name, "id_number": b.free_id_number, "agree_notice": "true",
                     "id_front": (io.BytesIO(make_id_image()), "front.png"),
                     "id_back": (io.BytesIO(make_id_image()), "back.png")},
            "content_type": "multipart/form-data"}


def _receipt(b):
    body = json.dumps({"batch_no": f"P{b.ids['project']}-202611-1", "message_id": "x", "lines": []}).encode()
    return {"data": body, "content_type": "application/json", "headers": {"X-Bank-Signature": "sha256=" + "0" * 64}}


P = "/api/v1"
MATRIX = [
    # accounts and organisations
    Row("POST", "/accounts", lambda b: (f"{P}/accounts", _json(
        {"username": "newcomer_x", "password": "secret123", "name": "新用户", "phone": "13800000000"})), "self"),
    Row("POST", "/auth/token", lambda b: (f"{P}/auth/token", _json(
        {"username": b.target_username, "password": "wrong-password"})), "self", extra={429}),
    Row("GET", "/me", lambda b: (f"{P}/me", {}), "self"),
    # revoking names no object (only the caller's own token): a token that is no one's revokes nothing
    Row("DELETE", "/auth/token", lambda b: (f"{P}/auth/token", {"headers": {"Authorization": "Bearer not-issued"}}),
        "self"),
    Row("PUT", "/me/password", lambda b: (f"{P}/me/password", _json(
        {"current_password": "wrong-password", "new_password": "another-secret-9"})), "self"),
    Row("POST", "/admin/roles", lambda b: (f"{P}/admin/roles", _json(
        {"username": b.legal_rep_username, "role": "admin"})), "platform", allowed=("admin",)),
    Row("POST", "/enterprises", lambda b: (f"{P}/enterprises", _json(
        {"name": "新企业", "uscc": "91310115MA1K4LTE6D", "legal_rep_username": b.legal_rep_username})),
        "platform", allowed=("admin",), extra={422}),
    Row("GET", "/enterprises", lambda b: (f"{P}/enterprises", {}), "self", owner="hr", owner_sees_marker=True),
    Row("GET", "/enterprises/<int:eid>", lambda b: (f"{P}/enterprises/{b.ids['gc']}", {}),
        owner="hr", owner_sees_marker=True),
    Row("POST", "/enterprises/<int:eid>/hr-admins", lambda b: (f"{P}/enterprises/{b.ids['gc']}/hr-admins", _json(
        {"username": b.target_username}))),
    Row("POST", "/projects", lambda b: (f"{P}/projects", _json(
        {"code": "X-1", "name": "越权项目", "address": "上海", "gc_enterprise_id": b.ids["gc"],
         "wage_account": {"bank_name": "银行", "account_no": "31050161393600000001", "account_name": "账户"}})),
        "body"),
    Row("GET", "/projects", lambda b: (f"{P}/projects", {}), "self", owner="sub_pm", owner_sees_marker=True),
    Row("GET", "/projects/<int:pid>", lambda b: (f"{P}/projects/{b.ids['project']}", {}),
        owner="signin_officer", owner_sees_marker=True),
    Row("POST", "/projects/<int:pid>/participants", lambda b: (
        f"{P}/projects/{b.ids['project']}/participants", _json({"enterprise_id": b.caller_gc,
                                                                "kind": "labor_subcontractor"}))),
    Row("POST", "/projects/<int:pid>/managers", lambda b: (
        f"{P}/projects/{b.ids['project']}/managers", _json({"person_id": b.ids["gc_pm_person"]}))),
    # registration
    Row("POST", "/me/registration", lambda b: (f"{P}/me/registration", _registration(b)), "self"),
    Row("GET", "/me/registration", lambda b: (f"{P}/me/registration", {}), "self"),
    Row("PUT", "/me/bank-card", lambda b: (f"{P}/me/bank-card", _json(
        {"bank_name": "中国银行", "card_number": "6217001210024455667"})), "self"),
    # inbox
    Row("GET", "/tasks", lambda b: (f"{P}/tasks", {}), "self", owner="hr", owner_sees_marker=True),
    Row("POST", "/tasks/<int:task_id>/claim", lambda b: (f"{P}/tasks/{b.ids['agree_task']}/claim", {})),
    Row("POST", "/tasks/<int:task_id>/unclaim", lambda b: (f"{P}/tasks/{b.ids['claimed_task']}/unclaim", {})),
    Row("POST", "/tasks/<int:task_id>/complete", lambda b: (
        f"{P}/tasks/{b.ids['accept_task']}/complete", _json({"data": {"decision": "agree"}}))),
    # employment, allocation, separation
    Row("POST", "/enterprises/<int:eid>/employments", lambda b: (
        f"{P}/enterprises/{b.ids['gc']}/employments", _json({"name": b.free_name, "id_number": b.free_id_number}))),
    Row("GET", "/enterprises/<int:eid>/employments", lambda b: (f"{P}/enterprises/{b.ids['gc']}/employments", {}),
        owner="legal_rep", owner_sees_marker=True),
    Row("GET", "/employments/<int:employment_id>", lambda b: (f"{P}/employments/{b.ids['worker_employment']}", {}),
        owner="worker"),
    Row("POST", "/projects/<int:pid>/allocations", lambda b: (
        f"{P}/projects/{b.ids['project']}/allocations", _json({"person_ids": [b.ids["worker"]], "role": "worker"}))),
    Row("GET", "/allocations/<int:allocation_id>", lambda b: (f"{P}/allocations/{b.ids['allocation']}", {}),
        owner="sub_pm"),
    Row("POST", "/me/resignation", lambda b: (f"{P}/me/resignation", _json({"reason": "另谋高就"})), "self"),
    Row("GET", "/me/resignation", lambda b: (f"{P}/me/resignation", {}), "self"),
    Row("DELETE", "/me/resignation", lambda b: (f"{P}/me/resignation", {}), "self"),
    Row("POST", "/enterprises/<int:eid>/dismissals", lambda b: (
        f"{P}/enterprises/{b.ids['gc']}/dismissals", _json({"person_ids": [b.ids["gc_worker"]], "reason": "越权"}))),
    Row("DELETE", "/enterprises/<int:eid>/dismissals/<int:person_id>", lambda b: (
        f"{P}/enterprises/{b.ids['gc']}/dismissals/{b.ids['dismissed']}", {})),
    # on site
    Row("GET", "/me/code", lambda b: (f"{P}/me/code", {}), "self"),
    Row("POST", "/projects/<int:pid>/scans", lambda b: (
        f"{P}/projects/{b.ids['project']}/scans", _json({"token": b.tokens["worker"], "purpose": "clock_out"}))),
    Row("POST", "/me/signins", lambda b: (f"{P}/me/signins", _json(
        {"project_id": b.ids["project"], "officer_token": b.tokens["officer"], "lng": b.site[0], "lat": b.site[1],
         "coord_system": "wgs84"})), "body"),
    Row("POST", "/me/attendance", lambda b: (f"{P}/me/attendance", _json(
        {"site_token": b.tokens["site"], "kind": "clock_out", "lng": b.site[0], "lat": b.site[1]})), "body"),
    Row("POST", "/projects/<int:pid>/exits", lambda b: (
        f"{P}/projects/{b.ids['project']}/exits", _json({"person_ids": [b.ids["worker"]]}))),
    Row("PUT", "/projects/<int:pid>/signin-location", lambda b: (
        f"{P}/projects/{b.ids['project']}/signin-location", _json(
            {"lng": 121.0, "lat": 31.0, "radius_m": 5000, "coord_system": "gcj02"}))),
    Row("GET", "/projects/<int:pid>/signin-location", lambda b: (
        f"{P}/projects/{b.ids['project']}/signin-location", {}), owner="gc_pm"),
    Row("POST", "/projects/<int:pid>/signin-officers", lambda b: (
        f"{P}/projects/{b.ids['project']}/signin-officers", _json({"person_id": b.ids["gc_worker"]}))),
    Row("GET", "/projects/<int:pid>/signin-officers", lambda b: (
        f"{P}/projects/{b.ids['project']}/signin-officers", {}), owner="gc_pm", owner_sees_marker=True),
    Row("DELETE", "/projects/<int:pid>/signin-officers/<int:person_id>", lambda b: (
        f"{P}/projects/{b.ids['project']}/signin-officers/{b.ids['officer']}", {})),
    Row("GET", "/projects/<int:pid>/signins", lambda b: (f"{P}/projects/{b.ids['project']}/signins", {}),
        owner="gc_pm", owner_sees_marker=True),
    Row("GET", "/projects/<int:pid>/attendance", lambda b: (f"{P}/projects/{b.ids['project']}/attendance", {}),
        owner="site_operator", owner_sees_marker=True),
    Row("GET", "/projects/<int:pid>/entries", lambda b: (f"{P}/projects/{b.ids['project']}/entries", {}),
        owner="gc_pm", owner_sees_marker=True),
    Row("GET", "/projects/<int:pid>/site-code", lambda b: (f"{P}/projects/{b.ids['project']}/site-code", {}),
        owner="gc_pm"),
    # payroll
    Row("PUT", "/projects/<int:pid>/payroll-settings", lambda b: (
        f"{P}/projects/{b.ids['project']}/payroll-settings", _json({"settlement_day": 20}))),
    Row("POST", "/projects/<int:pid>/bank-batches", lambda b: (
        f"{P}/projects/{b.ids['project']}/bank-batches", _json({"pay_month": "2026-12"}))),
    Row("GET", "/bank-batches/<int:batch_id>", lambda b: (f"{P}/bank-batches/{b.ids['batch']}", {}),
        owner="gc_pm", owner_sees_marker=True),
    Row("POST", "/projects/<int:pid>/payroll-drafts", lambda b: (
        f"{P}/projects/{b.ids['project']}/payroll-drafts", _json({"pay_month": "2026-11", "batch_id": b.ids["batch"]}))),
    Row("GET", "/payroll-drafts/<int:draft_id>", lambda b: (f"{P}/payroll-drafts/{b.ids['sub_draft']}", {}),
        owner="sub_pm", owner_sees_marker=True),
    Row("PUT", "/payroll-drafts/<int:draft_id>/lines/<int:line_id>", lambda b: (
        f"{P}/payroll-drafts/{b.ids['gc_draft']}/lines/{b.ids['gc_line']}", _json({"gross_fen": 1, "deductions_fen": 0}))),
    Row("POST", "/payroll-drafts/<int:draft_id>/submit", lambda b: (f"{P}/payroll-drafts/{b.ids['gc_draft']}/submit", {})),
    Row("POST", "/bank-batches/<int:batch_id>/summary", lambda b: (f"{P}/bank-batches/{b.ids['batch']}/summary", {})),
    Row("GET", "/bank-batches/<int:batch_id>/summary.pdf", lambda b: (
        f"{P}/bank-batches/{b.ids['batch']}/summary.pdf", {})),
    Row("POST", "/bank-batches/<int:batch_id>/signatures", lambda b: (
        f"{P}/bank-batches/{b.ids['batch']}/signatures", _certificate())),
    Row("POST", "/bank-batches/<int:batch_id>/follow-up", lambda b: (f"{P}/bank-batches/{b.ids['batch']}/follow-up", {})),
    Row("POST", "/bank/receipts", lambda b: (f"{P}/bank/receipts", _receipt(b)), "body"),
    Row("GET", "/me/wages", lambda b: (f"{P}/me/wages", {}), "self"),
    # administration
    Row("GET", "/process-instances", lambda b: (f"{P}/process-instances", {}), "platform", allowed=("admin",)),
    Row("GET", "/process-instances/<int:instance_id>", lambda b: (
        f"{P}/process-instances/{b.ids['hire_instance']}", {}), "platform", allowed=("admin",)),
    *(Row("POST", f"/process-instances/<int:instance_id>/{action}", (lambda a: lambda b: (
        f"{P}/process-instances/{b.ids['resignation_instance']}/{a}",
        _json({"reason": "越权"}) if a == "terminate" else {}))(action), "platform", allowed=("admin",))
      for action in ("suspend", "resume", "terminate", "retry")),
    Row("POST", "/process-instances/<int:instance_id>/migrate", lambda b: (
        f"{P}/process-instances/{b.ids['resignation_instance']}/migrate", {}), "platform", allowed=("admin",)),
    Row("GET", "/process-definitions/<key>/migration-dry-run", lambda b: (
        f"{P}/process-definitions/resignation/migration-dry-run", {}), "platform", allowed=("admin",)),
    Row("GET", "/admin/calendar/<int:year>", lambda b: (f"{P}/admin/calendar/2027", {}), "platform",
        allowed=("admin",)),
    Row("PUT", "/admin/calendar/<int:year>", lambda b: (f"{P}/admin/calendar/2027", _json(
        {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03"], "workdays": []})), "platform", allowed=("admin",)),
    Row("GET", "/process-definitions", lambda b: (f"{P}/process-definitions", {}), "platform",
        allowed=("admin", "analyst")),
    Row("POST", "/process-definitions", lambda b: (f"{P}/process-definitions", _xml()), "platform",
        allowed=("analyst",)),
    Row("GET", "/openapi.json", lambda b: (f"{P}/openapi.json", {}), "self"),
]


def test_every_api_endpoint_has_a_row(app):
    routes = {(rule.rule.removeprefix("/api/v1"), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    rows = [(row.rule, row.method) for row in MATRIX]
    assert len(rows) == len(set(rows)), "a row appears twice"
    assert set(rows) == routes, {"without a row": sorted(routes - set(rows)), "no such route": sorted(set(rows) - routes)}


@pytest.fixture
def worlds(app, world, client):
    a, b = build(world, "甲方世界", "WLDA"), build(world, "乙方世界", "WLDB")
    from tests.support.site import site_wgs84
    for u, other in ((a, b), (b, a)):
        u.site = site_wgs84()
        u.caller_gc = other.ids["gc"]  # in a participant request: the caller's own enterprise
        u.bearer = {}
        for role, user in u.users.items():
            response = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
            assert response.status_code == 200, (role, response.get_json())
            u.bearer[role] = auth(response.get_json()["token"])
        u.bearer["anonymous"] = {}
    return a, b


def _call(client, row, target, headers):
    path, kwargs = row.call(target)
    kwargs = dict(kwargs)
    headers = {**headers, **kwargs.pop("headers", {})}
    return client.open(path, method=row.method, headers=headers, **kwargs)


def _text(response) -> str:
    raw = response.get_data()
    text = raw.decode("utf-8", "replace")
    if response.is_json:  # Chinese may come \u-escaped
        text += json.dumps(response.get_json(silent=True), ensure_ascii=False)
    return text


def _leaks(response, markers) -> list[str]:
    text = _text(response)
    return [m for m in markers if m in text]


def _row_counts() -> dict:
    with db.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables if t.name not in ("api_token", "login_attempt")}


def test_no_caller_reaches_into_another_world(app, client, worlds):
    a, b = worlds
    failures = []

    def check(row, role, response):
        status, leaks = response.status_code, _leaks(response, b.markers)
        allowed_2xx = row.kind == "self" or (row.kind == "platform" and role in row.allowed)
        refusals = REFUSED | row.extra | ({422} if row.kind == "body" else set()) | (
            {409, 422} if row.kind == "platform" else set())
        if status >= 500:
            failures.append((row.method, row.rule, role, status, _text(response)[:200]))
        elif leaks and not (row.kind == "platform" and role in row.allowed):
            failures.append((row.method, row.rule, role, status, f"shows world B: {leaks}"))
        elif not allowed_2xx and status not in refusals:
            failures.append((row.method, row.rule, role, status, _text(response)[:200]))

    before = _row_counts()
    # Refusals first: nothing any of them does may change a single row.
    for row in MATRIX:
        if row.kind != "self":
            for role in OUTSIDERS:
                if row.kind == "platform" and role in row.allowed and row.method != "GET":
                    continue  # the platform's own job, exercised below
                check(row, role, _call(client, row, b, a.bearer[role]))
    assert failures == [], "\n".join(map(str, failures))
    assert _row_counts() == before, "a refused request changed something"

    # The caller's own things: whatever they answer, nothing of world B.
    for row in MATRIX:
        if row.kind == "self":
            for role in OUTSIDERS:
                check(row, role, _call(client, row, b, a.bearer[role]))
    assert failures == [], "\n".join(map(str, failures))

    # The administrator sees the whole platform: every read answers, none with a server error.
    for row in MATRIX:
        if row.method == "GET":
            response = _call(client, row, b, a.bearer["admin"])
            assert response.status_code < 500, (row.rule, response.status_code)


def test_the_same_rows_do_show_world_b_to_its_own_people(client, worlds):
    """The positive control: the markers the matrix looks for are really in B's answers."""
    _a, b = worlds
    controls = [row for row in MATRIX if row.owner]
    assert len(controls) >= 15
    for row in controls:
        response = _call(client, row, b, b.bearer[row.owner])
        assert response.status_code == 200, (row.rule, row.owner, response.status_code, _text(response)[:300])
        if row.owner_sees_marker:
            assert _leaks(response, b.markers), (row.rule, row.owner, _text(response)[:300])


def test_platform_jobs_are_allowed_to_their_roles(client, worlds):
    a, b = worlds
    monitor = client.get(f"/api/v1/process-instances/{b.ids['hire_instance']}", headers=a.bearer["admin"])
    assert monitor.status_code == 200 and monitor.get_json()["process_key"] == "hire_consent"
    deploy = _call(client, next(r for r in MATRIX if r.rule == "/process-definitions" and r.method == "POST"),
                   b, a.bearer["analyst"])
    assert deploy.status_code in (200, 201) and deploy.get_json()["key"] == "resignation"
