"""schemathesis over GET /api/v1/openapi.json, against the WSGI app: for every operation,
examples generated from the document (valid and invalid bodies, queries and path ids),
sent by callers of several roles, half the time with the path naming real objects of a
complete world — never a 5xx, and every answer as the document describes it (status
code, content type, body schema, headers).

One world is built for the whole module (building it per operation would cost more than
the examples); requests may change it, as real callers would."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings, strategies as st
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from app import create_app
from app.extensions import db
from tests.conftest import base_config, empty_all_tables
from tests.reliability.worlds import build
from tests.support.factories import PASSWORD, World

EXAMPLES = 25  # per operation: ~65 operations stay within a minute on two CPUs
ROLES = ("admin", "hr", "legal_rep", "gc_pm", "sub_pm", "worker", "signin_officer", "analyst", "datacenter",
         "anonymous")
CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance,
          openapi_checks.response_headers_conformance]
# Path parameters → the world's object of that kind.
REAL_IDS = {"eid": "gc", "pid": "project", "allocation_id": "allocation", "batch_id": "batch",
            "employment_id": "worker_employment", "draft_id": "gc_draft", "line_id": "gc_line",
            "instance_id": "hire_instance", "task_id": "accept_task", "person_id": "dismissed"}


@pytest.fixture(scope="module")
def api_world(database_url, tmp_path_factory):
    app = create_app(base_config(database_url, tmp_path_factory.mktemp("schemathesis")))
    with app.app_context():
        u = build(World(app), "乙方世界", "WLDB")
    client = app.test_client()
    tokens = {}
    for role in ROLES[:-1]:
        response = client.post("/api/v1/auth/token", json={"username": u.users[role].username, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        tokens[role] = response.get_json()["token"]
    yield app, u, tokens
    with app.app_context():
        empty_all_tables()
        db.engine.dispose()


def _throwaway_token(app, u, role) -> str:
    """A token of the role's own for DELETE /auth/token to revoke, so the shared one keeps
    working for the operations after it (issued by the service: no login throttle)."""
    from app.models import User
    from app.services import accounts
    with app.app_context():
        token, _row = accounts.issue_token(db.session.get(User, u.users[role].id), 1)
        db.session.commit()
    return token


def _document() -> dict:
    """The document GET /api/v1/openapi.json serves (a test below checks it is the same), made
    at collection time: the schema must exist before the database fixtures do. (The fixture
    route, schemathesis.pytest.from_fixture, does not run under pytest 9.)"""
    from app.api.openapi import document
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
    with app.test_request_context():
        return document()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_document_tested_is_the_one_served(api_world):
    app, _u, _tokens = api_world
    assert app.test_client().get("/api/v1/openapi.json").get_json() == DOCUMENT


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES), real=st.booleans())
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_documented_contract(case, role, real, api_world):
    app, u, tokens = api_world
    if real and case.path_parameters:
        case.path_parameters = {name: u.ids[REAL_IDS[name]] if name in REAL_IDS else value
                                for name, value in case.path_parameters.items()}
    headers = dict(case.headers or {})
    headers.pop("Authorization", None)
    if role != "anonymous":
        own = (case.method, case.path) == ("DELETE", "/api/v1/auth/token")
        headers["Authorization"] = f"Bearer {_throwaway_token(app, u, role) if own else tokens[role]}"
    case.headers = headers
    case.call_and_validate(checks=CHECKS, app=app)
