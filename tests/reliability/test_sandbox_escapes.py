"""Known sandbox escapes (escape_corpus.py), each carried by a real process diagram,
run every way a diagram's script can run — a deploy's test cases, the modeler's 运行用例
and 校验, a started instance — and by the guards alone with the compile-time checks
switched off. A marker file proves that no shell command ran; a canary in the
environment proves that nothing leaked. Each entry first escapes the old sandbox, so
that a test here can fail."""
import ast
import hashlib
import os

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProcessDefinition, ProcessInstance
from app.services import roles
from app.workflow import definitions, isolation, runtime
from app.workflow.errors import WorkflowFailure
from app.workflow.sandbox import SandboxEnvironment
from app.workflow.script_errors import SandboxViolation
from app.workflow.script_limits import SCRIPT_FILE, within_limits
from app.workflow.script_policy import ScriptPolicy
from tests.reliability.escape_corpus import ESCAPES, LEAKS, escape, leak, naive_run
from tests.support.factories import auth, csrf_from, log_in, token
from tests.web.test_modeler_pages import SCRIPTED
from tests.workflow.test_definitions import scripted

CANARY = "canary-7f3a9c"
ENTRIES = [*ESCAPES, *LEAKS]


@pytest.fixture
def marker(tmp_path, monkeypatch):
    monkeypatch.setenv("CANARY", CANARY)
    return tmp_path / "escaped"


def script_for(name: str, marker) -> str:
    return escape(name, f"touch {marker}") if name in ESCAPES else leak(name)


def xml_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_every_entry_gets_out_of_the_old_sandbox(tmp_path):
    markers = {name: tmp_path / f"escaped-{i}" for i, name in enumerate(ESCAPES)}
    scripts = {name: escape(name, f"touch {path}") for name, path in markers.items()}
    scripts.update({name: leak(name) for name in LEAKS})
    left = naive_run(scripts, {"PATH": os.environ["PATH"], "CANARY": CANARY})
    assert [name for name, path in markers.items() if not path.exists()] == []
    assert {name: left[name] for name in LEAKS} == {name: CANARY for name in LEAKS}


@pytest.fixture
def analyst(world, client):
    user = world.user("analyst_escape", platform_role=roles.ANALYST)
    client.get("/api/v1/openapi.json")  # the first request loads processes/ as version 1
    return user


def versions(key: str) -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key))


@pytest.mark.parametrize("name", ENTRIES)
def test_a_deploy_and_the_modeler_run_nothing(client, analyst, marker, name):
    """The resignation diagram with the escape in a script task that its test cases reach."""
    diagram = SCRIPTED.format(script=xml_escaped(script_for(name, marker)))
    deployed = client.post("/api/v1/process-definitions", data=diagram.encode(), content_type="application/xml",
                           headers=auth(token(client, analyst)))
    assert deployed.status_code == 422
    assert "note_agreement" in deployed.get_json()["errors"]
    assert versions("resignation") == 1
    log_in(client, analyst)
    csrf = csrf_from(client.get("/modeler/resignation/edit").get_data(as_text=True))
    for route in ("validate", "test-cases"):
        reply = client.post(f"/modeler/resignation/{route}", data=diagram.encode(), content_type="application/xml",
                            headers={"X-CSRFToken": csrf})
        assert reply.status_code == 200
        body = reply.get_json()
        assert body["problems"] and {p["element_id"] for p in body["problems"]} == {"note_agreement"}
        assert CANARY not in reply.get_data(as_text=True)
    assert not marker.exists()


@pytest.mark.parametrize("name", ENTRIES)
def test_a_started_instance_runs_nothing(app, marker, name):
    """A definition that got in without deploy (written into the table) cannot run either."""
    db.session.add(ProcessDefinition(key="scripted", version=1, name="scripted", source="sql",
                                     content_hash=hashlib.sha256(name.encode()).hexdigest(),
                                     bpmn_xml=scripted(script=xml_escaped(script_for(name, marker)))))
    db.session.commit()
    with pytest.raises((definitions.DefinitionError, WorkflowFailure)):
        runtime.start("scripted", {})
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert not marker.exists()


def _compiled_without_checks(source: str):
    """The script as the policy rewrites it, its compile-time refusals ignored: what the
    guards alone face if a check were ever missing."""
    tree = ScriptPolicy().visit(ast.parse(source, SCRIPT_FILE))
    return compile(ast.fix_missing_locations(tree), SCRIPT_FILE, "exec")


@pytest.mark.parametrize("name", ENTRIES)
def test_the_guards_alone_stop_every_entry(marker, name):
    code = _compiled_without_checks(script_for(name, marker))
    scope = SandboxEnvironment()._globals(None)
    with pytest.raises((SandboxViolation, NameError)) as stopped:
        within_limits(lambda: exec(code, scope))  # noqa: S102 — the point of the test
    assert not marker.exists()
    assert CANARY not in str(stopped.value) and CANARY not in str(scope.get("leak", ""))
    if name not in ("coroutine frame", "async generator frame"):  # `async def` is dropped from the tree
        assert isinstance(stopped.value, SandboxViolation) and "not allowed" in str(stopped.value)


def test_the_child_gets_no_secret_of_the_server(app, monkeypatch):
    """The child process sees only isolation.ENVIRONMENT: not the secret key, the
    database URL or anything else the server was started with."""
    monkeypatch.setenv("SECRET_KEY", "server-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://server/db")
    monkeypatch.setattr(isolation, "BOOT", "import json, os; print(json.dumps({{'result': dict(os.environ)}}))  "
                                           "# {root}")
    seen = isolation._run({"job": "validate"})
    assert "SECRET_KEY" not in seen and "DATABASE_URL" not in seen and "CANARY" not in seen
    assert set(seen) - {"LC_CTYPE"} == set(isolation.ENVIRONMENT)
