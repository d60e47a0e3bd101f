"""No unit left out silently (DOMAIN §8): 【生成汇总表】 is refused (409, naming it) while a
unit whose workers signed in during the pay period has no table in the batch; the GC PM
leaves it out explicitly with `without` — recorded on the batch, audited unit by unit
and printed on the summary PDF as 本期未纳入. A `without` that names anything else → 422."""
import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, BankBatch, Project
from app.models.projects import LABOR_SUBCONTRACTOR, SPECIALIST_SUBCONTRACTOR
from app.services import accounts, payroll, projects
from app.services.calendar import today_in_shanghai
from app.services.payroll_batch import units_without_table
from tests.api.test_payroll_bank import approved_batch, call, s  # noqa: F401  (s is the fixture)
from tests.services.test_payroll_drafts import sign_ins
from tests.support.factories import token
from tests.support.staffing import side
from tests.test_cli import run

IN_PERIOD = [date(2026, 11, d) for d in (9, 10, 11)]  # settlement day 25: 2026-10-26 … 2026-11-25
BEFORE_PERIOD = [date(2026, 10, 20), date(2026, 10, 25)]


def unit(world, s, name, kind, workers, days):
    """Another participant of the project, with its own PM, whose workers signed in on `days`."""
    enterprise = world.enterprise(name=name)
    projects.add_participant(None, s.project, enterprise.id, kind)
    db.session.commit()
    staff = side(world, enterprise, s.project, workers=workers)
    for worker in staff.workers:
        sign_ins(s.project, worker, days)
    return staff


def batch_state(batch_id):
    db.session.expire_all()
    batch = db.session.get(BankBatch, batch_id)
    summaries = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(("payroll.summary", "payroll.left_out"))))
    return batch.status, batch.left_out, batch.process_instance_id, summaries


@pytest.fixture
def batch_with_a_missing_unit(client, s, world):  # noqa: F811
    """Both tables approved; a labour subcontractor's two workers signed in all along and it
    drafted nothing; a specialist subcontractor's worker signed in only before the period."""
    batch_id = approved_batch(client, s)
    labour = unit(world, s, "浦江劳务有限公司", LABOR_SUBCONTRACTOR, 2, IN_PERIOD)
    earlier = unit(world, s, "东海机电安装工程有限公司", SPECIALIST_SUBCONTRACTOR, 1, BEFORE_PERIOD)
    return batch_id, labour, earlier


def test_the_summary_is_refused_naming_the_unit_then_made_without_it(client, s, batch_with_a_missing_unit):  # noqa: F811
    batch_id, labour, earlier = batch_with_a_missing_unit
    gc_pm = token(client, s.gc.pm)
    summary = f"/api/v1/bank-batches/{batch_id}/summary"
    before = batch_state(batch_id)
    assert before == ("open", None, None, 0)

    refused = call(client, "post", summary, gc_pm)
    body = refused.get_json()
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert "浦江劳务有限公司" in body["detail"] and "without" in body["errors"]
    assert "东海机电安装工程有限公司" not in body["detail"]  # its sign-ins are outside the period
    assert s.sub.enterprise.name not in body["detail"]  # it has its approved table
    assert batch_state(batch_id) == before  # nothing changes

    english = client.post(summary, json={}, headers={"Authorization": f"Bearer {gc_pm}", "Accept-Language": "en"})
    assert english.status_code == 409 and "浦江劳务有限公司" in english.get_json()["detail"]

    made = call(client, "post", summary, gc_pm, json={"without": [labour.enterprise.id]})
    assert made.status_code == 201, made.get_json()
    left_out = [{"enterprise_id": labour.enterprise.id, "name": "浦江劳务有限公司", "workers": 2}]
    assert made.get_json()["status"] == "summarized" and made.get_json()["left_out"] == left_out
    assert call(client, "get", f"/api/v1/bank-batches/{batch_id}", gc_pm).get_json()["left_out"] == left_out

    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payroll.left_out")).all()
    assert entry.actor_id == s.gc.pm.id and entry.record_id == str(batch_id)
    assert entry.details == left_out[0]
    summary_entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payroll.summary"))
    assert summary_entry.details["left_out"] == [labour.enterprise.id]

    pdf = call(client, "get", f"/api/v1/bank-batches/{batch_id}/summary.pdf", gc_pm)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "本期未纳入：浦江劳务有限公司（2人签到）" in text
    assert "东海机电安装工程有限公司" not in text and labour.workers[0].name not in text
    assert s.sub.workers[0].name in text  # the units with tables are all there


@pytest.mark.parametrize("without, why", [
    ("specialist", "signed in only before the period"),
    ("sub", "has its approved table in the batch"),
    ("gc_and_labour", "the GC has its table, even beside the right unit"),
    (999_999, "no such enterprise"),
    ("abc", "not an id"),
    ([0], "not an id"),
    ([{"id": 1}], "not an id"),
])
def test_a_without_that_names_another_unit_is_422_and_changes_nothing(client, s, batch_with_a_missing_unit,  # noqa: F811
                                                                      without, why):
    batch_id, labour, earlier = batch_with_a_missing_unit
    named = {"specialist": [earlier.enterprise.id], "sub": [s.sub.enterprise.id],
             "gc_and_labour": [labour.enterprise.id, s.gc.enterprise.id]}
    ids = named[without] if isinstance(without, str) and without in named else without
    before = batch_state(batch_id)
    refused = call(client, "post", f"/api/v1/bank-batches/{batch_id}/summary", token(client, s.gc.pm),
                   json={"without": ids})
    assert refused.status_code == 422, why
    assert "without" in refused.get_json()["errors"], why
    assert batch_state(batch_id) == before, why


def test_a_batch_with_every_unit_drafted_needs_no_without(client, s):  # noqa: F811
    """The usual month: everyone who signed in has a table; `without` is not needed, and
    naming a unit that has its table is refused."""
    batch_id = approved_batch(client, s)
    gc_pm = token(client, s.gc.pm)
    summary = f"/api/v1/bank-batches/{batch_id}/summary"
    assert call(client, "post", summary, gc_pm, json={"without": [s.sub.enterprise.id]}).status_code == 422
    made = call(client, "post", summary, gc_pm, json={"without": []})
    assert made.status_code == 201 and made.get_json()["left_out"] == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "payroll.left_out")) == 0



def test_the_demo_story_summarizes_the_gc_alone(app):
    """README's payroll story: only the GC's workers signed in on the first project, so its
    own table is all the summary needs — both subcontractors take part but signed nobody in."""
    assert run(app, "demo-data").exit_code == 0
    gc_pm = accounts.find_user("gc_pm")
    project = db.session.scalar(select(Project).where(Project.code == "MH-0433-04"))
    today = today_in_shanghai()  # the demo signs in during the period that holds today (settlement day 25)
    month = today if today.day <= 25 else today.replace(day=28) + timedelta(days=4)
    batch = payroll.create_batch(gc_pm, project, month.strftime("%Y-%m"))
    db.session.commit()
    missing = units_without_table(batch)
    assert {unit.enterprise_id for unit in missing} <= {project.gc_enterprise_id}
    if missing:  # the GC's workers signed in: its table is the one the story drafts
        payroll.create_draft(gc_pm, project, batch.id, batch.pay_month)
        db.session.commit()
        assert units_without_table(batch) == []
