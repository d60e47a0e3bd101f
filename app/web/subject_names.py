"""A task's or an instance's subject in words (issue 19 item 8): 人员 张三（3101**********1234）,
企业 申城建设集团有限公司, 银行交换批次号 YH202603-01 — never 人员编号 15 or 企业 #2.

Lookups are batched: one query per kind of record for any number of subjects, so a list
of fifty rows costs the same handful of queries as one task page.
"""
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, BankBatch, Employment, Enterprise, PayrollDraft, Person, Project, Separation
from app.services.idcard import mask_id_number

LABELS = {"person_id": _l("人员"), "enterprise_id": _l("企业"), "project_id": _l("项目"),
          "batch_id": _l("银行交换批次号"), "draft_id": _l("工资支付表"), "employment_id": _l("聘用关系"),
          "allocation_id": _l("人员分配"), "separation_id": _l("离职/解聘")}
SEPARATION_KINDS = {"resignation": _l("离职"), "dismissal": _l("解聘")}


def with_detail(name: str, detail: str) -> str:
    """张三（3101…1234）, or "Zhang San (3101…1234)" in English: the brackets follow the language."""
    return gettext("%(name)s（%(detail)s）", name=name, detail=detail)


def _person(name, id_number) -> str:
    return with_detail(name, mask_id_number(id_number)) if id_number else name


def _lookup(key: str, ids: set[int]) -> dict[int, str]:
    """id → words for one kind of subject id."""
    if not ids:
        return {}
    if key == "person_id":
        rows = db.session.execute(select(Person.id, Person.name, Person.id_number).where(Person.id.in_(ids)))
        return {i: _person(name, number) for i, name, number in rows}
    if key in ("enterprise_id", "project_id"):
        model = Enterprise if key == "enterprise_id" else Project
        return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
    if key == "batch_id":
        rows = db.session.execute(select(BankBatch.id, BankBatch.batch_no).where(BankBatch.id.in_(ids)))
        return dict(rows.all())
    if key == "draft_id":
        rows = db.session.execute(select(PayrollDraft.id, Enterprise.name, BankBatch.batch_no)
                                  .join(Enterprise, Enterprise.id == PayrollDraft.enterprise_id)
                                  .join(BankBatch, BankBatch.id == PayrollDraft.batch_id).where(PayrollDraft.id.in_(ids)))
        return {i: f"{enterprise} · {batch_no}" for i, enterprise, batch_no in rows}
    if key == "employment_id":
        rows = db.session.execute(select(Employment.id, Person.name, Enterprise.name)
                                  .join(Person, Person.id == Employment.person_id)
                                  .join(Enterprise, Enterprise.id == Employment.enterprise_id).where(Employment.id.in_(ids)))
        return {i: f"{person} · {enterprise}" for i, person, enterprise in rows}
    if key == "allocation_id":
        rows = db.session.execute(select(Allocation.id, Person.name, Project.name)
                                  .join(Person, Person.id == Allocation.person_id)
                                  .join(Project, Project.id == Allocation.project_id).where(Allocation.id.in_(ids)))
        return {i: f"{person} · {project}" for i, person, project in rows}
    if key == "separation_id":
        rows = db.session.execute(select(Separation.id, Separation.kind, Person.name)
                                  .join(Person, Person.id == Separation.person_id).where(Separation.id.in_(ids)))
        return {i: f"{SEPARATION_KINDS.get(kind, kind)} · {person}" for i, kind, person in rows}
    return {}


def names_for(subjects) -> dict[str, dict[int, str]]:
    """key → {id → words} for every known id in these subjects (one query per key)."""
    wanted = {key: set() for key in LABELS}
    for subject in subjects:
        for key in LABELS:
            value = (subject or {}).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                wanted[key].add(value)
    return {key: _lookup(key, ids) for key, ids in wanted.items()}


def subject_rows(subject: dict | None, names: dict | None = None) -> list[tuple[str, str]]:
    """(label, words) for each known id of the subject, in LABELS' order; an id whose
    record is gone reads 已删除. Keys the table does not know are left out: they are
    the diagram's own data, not something a person reads."""
    subject = subject or {}
    names = names if names is not None else names_for([subject])
    rows = []
    for key, label in LABELS.items():
        value = subject.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            rows.append((str(label), names.get(key, {}).get(value) or str(_l("（已删除）"))))
    return rows


def scope_words(enterprise_id, project_id, names: dict) -> list[str]:
    """A candidate rule's scope (企业, 项目) by name, for the monitor's 办理人."""
    words = []
    if enterprise_id:
        words.append(names.get("enterprise_id", {}).get(enterprise_id) or str(_l("（已删除）")))
    if project_id:
        words.append(names.get("project_id", {}).get(project_id) or str(_l("（已删除）")))
    return words
