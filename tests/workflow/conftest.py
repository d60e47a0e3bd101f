"""Small BPMN fixtures (tests/workflow/fixtures) and the test-only service handlers they name."""
from pathlib import Path

import pytest

from app.extensions import db
from app.workflow import definitions
from app.workflow.registry import Termination, install

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED: list[dict] = []
FAILING = {"on": False}


def record_outcome(params, ctx):
    RECORDED.append({"outcome": params.get("outcome"), "instance_id": ctx.instance_id, "subject": ctx.subject})
    return {"recorded": True}


def flaky(params, ctx):
    if FAILING["on"]:
        raise RuntimeError("the bank gateway is down")
    return {"ok": True}


def nothing_to_end(subject, actor, reason):
    """simple_approval is about no business record: terminating it ends the flow alone.
    The other fixtures declare nothing, so they cannot be terminated (tests/workflow/test_terminate.py)."""


install(handlers={"record_outcome": record_outcome, "flaky": flaky},
        terminations={"simple_approval": Termination(nothing_to_end)})


def fixture_xml(name: str) -> str:
    return (FIXTURES / f"{name}.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def deploy(app):
    """deploy("approval_timeout") → the stored definition (committed)."""
    RECORDED.clear()
    FAILING["on"] = False

    def _deploy(name_or_xml: str, source: str = "test"):
        xml = fixture_xml(name_or_xml) if not name_or_xml.lstrip().startswith("<") else name_or_xml
        definition, _ = definitions.deploy(xml, source)
        db.session.commit()
        return definition

    return _deploy


@pytest.fixture
def parties(world):
    """An enterprise with its legal rep and HR, and a person (with an account)."""
    enterprise = world.enterprise()
    hr = world.hr_admin(enterprise)
    person_user = world.user()
    return {"enterprise": enterprise, "legal_rep": enterprise.legal_rep, "hr": hr, "person_user": person_user,
            "subject": {"enterprise_id": enterprise.id, "person_id": person_user.person.id}}
