"""Waiting periods read from the diagrams (app/workflow/timer_periods.py), the periods
DOMAIN.md names as rules (app/services/rule_periods.py), and the API deploy that names
such a change in its answer and the audit log."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, ProcessDefinition
from app.services import roles, rule_periods
from app.workflow import definitions, timer_periods
from tests.support.factories import auth, token

RESIGNATION = (definitions.PROCESSES_DIR / "resignation.bpmn").read_text(encoding="utf-8")
HIRE_CONSENT = (definitions.PROCESSES_DIR / "hire_consent.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def analyst(client, world):
    return token(client, world.user("analyst_rules", platform_role=roles.ANALYST))


def deploy(client, tok, xml: str, query: str = ""):
    return client.post(f"/api/v1/process-definitions{query}", data=xml.encode("utf-8"),
                       content_type="application/xml", headers=auth(tok))


def versions(key: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key))


@pytest.mark.parametrize("period, words", [("PT24H", "24小时"), ("PT48H", "48小时"), ("P7D", "7天"),
                                           ("P1DT12H", "1天12小时"), ("PT30M", "30分钟"), ("P2W", "2周"),
                                           ("PT1.5H", "1.5小时")])
def test_a_period_is_said_in_the_units_the_diagram_names(app, period, words):
    with app.test_request_context():
        assert timer_periods.describe(period) == words
    assert timer_periods.describe(None) is None


def test_the_timer_is_read_from_the_diagram_by_its_element_id(app):
    assert timer_periods.expression_in(RESIGNATION, "waiting_period") == '"PT24H"'
    assert timer_periods.expression_in(HIRE_CONSENT, "consent_expiry") == '"P7D"'
    assert timer_periods.expression_in(RESIGNATION, "enterprise_agree") is None  # not a timer
    assert timer_periods.expression_in("<not xml", "waiting_period") is None
    assert timer_periods.constant_period('"pt48h"') == "PT48H"
    for computed in ("wait_hours", '"PT24X"', "42", "", None, "__import__('os')"):
        assert timer_periods.constant_period(computed) is None
    assert rule_periods.period(rule_periods.RESIGNATION_WAIT) == "PT24H"
    assert rule_periods.period(rule_periods.HIRE_CONSENT_WAIT) == "P7D"


def test_only_a_changed_rule_timer_is_a_rule_change(app):
    definitions.sync_directory()
    longer = RESIGNATION.replace('"PT24H"', '"PT48H"')
    [change] = rule_periods.changes("resignation", longer)
    assert (change.rule, change.old, change.new) == (rule_periods.RESIGNATION_WAIT, '"PT24H"', '"PT48H"')
    assert rule_periods.changes("resignation", RESIGNATION.replace("24小时未同意", "一天未同意")) == []
    assert rule_periods.changes("hire_consent", HIRE_CONSENT.replace('"P7D"', '"P14D"'))[0].new == '"P14D"'
    removed = rule_periods.changes("resignation", RESIGNATION.replace('id="waiting_period"', 'id="wait_x"'))
    assert removed[0].new is None  # the rule's timer is gone: that changes the rule too
    assert rule_periods.changes("payroll", "<x/>") == []


def test_the_api_deploys_a_rule_change_naming_it(client, analyst):
    """The API's clients decide for themselves (the contract: a valid diagram is 201); the
    change is said in the answer and kept in the audit log. The modeler asks first."""
    before = versions("resignation")
    done = deploy(client, analyst, RESIGNATION.replace('"PT24H"', '"PT48H"'))
    assert done.status_code == 201
    body = done.get_json()
    assert (body["key"], body["version"]) == ("resignation", before + 1)
    [warning] = body["warnings"]
    assert "waiting_period" in warning and "由 24小时 改为 48小时" in warning
    assert rule_periods.period(rule_periods.RESIGNATION_WAIT) == "PT48H"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.deploy"))
    assert entry.details["rule_changes"] == [{"timer": "waiting_period", "old": '"PT24H"', "new": '"PT48H"'}]
    # hire consent's 7 days, likewise
    consent = deploy(client, analyst, HIRE_CONSENT.replace('"P7D"', '"P14D"'))
    assert consent.status_code == 201 and "由 7天 改为 14天" in consent.get_json()["warnings"][0]


def test_a_plain_post_still_deploys_a_change_that_is_no_rule_change(client, analyst):
    before = versions("resignation")
    renamed = deploy(client, analyst, RESIGNATION.replace('name="解聘待确认"', 'name="离职待同意"'))
    assert renamed.status_code == 201 and renamed.get_json() == {"key": "resignation", "version": before + 1}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.deploy"))
    assert "rule_changes" not in entry.details
