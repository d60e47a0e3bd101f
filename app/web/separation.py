"""Separation pages (DOMAIN §6–7, manual 八 and 九).

The person's 【聘用信息】 (/me/employment): 【申请离职】 → reason →【确认】→【确认】, the
waiting state with 【撤回离职申请】, and 【立即离职】 once the flow has opened it. The
enterprise's side, reached from 人员管理: 【批量解聘】 → reason →【解除聘用关系】→ one result
per person, 【撤销解聘】, and 解聘待确认 →【同意】.

The rules live in app/services/separation.py and the flows decide who acts next, so
these views find the flow's open task and complete it; they never end an employment.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.forms.separation import MAX_BATCH, DismissalForm, ResignationForm
from app.forms.tasks import ConfirmForm
from app.models import Employment, Enterprise, HumanTask, Project, Separation, WorkflowTimer
from app.models.employment import OPEN_STATUSES
from app.models.types import utcnow
from app.services import rule_periods, separation as service
from app.services.errors import DomainError
from app.services.idcard import mask_id_number

from app.web.helpers import paginate, require, show_domain_error, visible_or_404, trade_name
from app.web import worker_home
from app.web.employment_labels import IDENTITY_LABELS, STATUS_BADGES, STATUS_LABELS
from app.web.resignation_agreements import AGREE_TASK, agreement_tasks
from app.workflow import inbox, runtime, timer_periods
from app.workflow.errors import TaskConflict, WorkflowFailure

bp = Blueprint("separation", __name__)
me = Blueprint("me", __name__, url_prefix="/me")
employer = Blueprint("employer", __name__, url_prefix="/enterprises/<int:eid>")

MAX_ID = 2**31 - 1  # larger ids cannot exist, and SQLite overflows on them
IMMEDIATE_TASK, CONSENT_TASK = "immediate_resignation", "worker_consent"
AGREE_DATA = {"decision": "agree", "comment": ""}  # what ResignationAgreeForm yields: it can only agree
# Where a refused 管理人员 still is (service.OnProject.position).
POSITION_LABELS = {"project_manager": _l("项目经理"), "confirmed": _l("已分配确认，未退场"),
                   "on_site": _l("已进场，未退场"), "pending_level1": _l("分配待项目接收"),
                   "pending_gc": _l("分配待总包确认")}


# --- shared ------------------------------------------------------------------------------

def _masked(person) -> str:
    return mask_id_number(person.id_number) if person is not None and person.id_number else ""


def _employment_row(e: Employment) -> dict:
    """What the pages show of one employment (ID number masked)."""
    return {"person_id": e.person_id, "name": e.person.name, "id_number": _masked(e.person),
            "enterprise": e.enterprise.name, "status": e.status, "status_label": STATUS_LABELS.get(e.status, e.status),
            "badge": STATUS_BADGES.get(e.status, "text-bg-secondary"),
            "identity": IDENTITY_LABELS.get(e.identity, "") if e.identity else "",
            "job_type": f"{e.job_type} {trade_name(e.job_type)}" if e.job_type else "",
            "started_at": e.started_at, "ended_at": e.ended_at, "end_reason": e.end_reason or ""}


def _ids(values, name: str) -> list[int]:
    """Distinct positive ids from repeated form keys; anything else is dropped."""
    ids = []
    for value in values.getlist(name):
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) <= 10 and 0 < int(value) <= MAX_ID \
                and int(value) not in ids:
            ids.append(int(value))
    return ids


def _complete(row: HumanTask, data: dict) -> str | None:
    """Completes one task of a separation flow; returns why it could not be, or None.
    Someone else may have got there first (the other side, or a colleague)."""
    try:
        runtime.complete(row, current_user, data)
    except TaskConflict:
        db.session.rollback()
        db.session.refresh(row)
        taken = row.status == "open" and row.claimed_by_id not in (None, current_user.id)
        return gettext("该待办已被他人认领") if taken else gettext("该待办已被处理或撤回")
    except WorkflowFailure:  # already rolled back and recorded for the administrator
        return gettext("已提交，但后续流程处理出错，管理员将尽快处理")
    except DomainError as error:
        db.session.rollback()
        return gettext(error.message, **error.params)
    return None


_open_task = service.open_task


def _wait_in_words(instance_id: int | None = None) -> str:
    """The resignation waiting period as the flow applies it ("24小时", "48小时"): a
    running resignation's own, else what a new one would wait."""
    period = rule_periods.period(rule_periods.RESIGNATION_WAIT, instance_id)
    return timer_periods.describe(period) or gettext("规定时间")  # a computed timer: no number to state


# --- the person: 【聘用信息】 --------------------------------------------------------------

def _own_person():
    person = current_user.person
    if person is None:  # staff accounts have no personal record
        abort(404)
    return person


_last_ended = service.last_ended
_available_at = service.immediate_available_at


@me.route("/employment")
@login_required
def employment():
    person = _own_person()
    current, separation = service.mine(current_user)
    if current is None:
        last = _last_ended(person)
        return render_template("separation/mine.html", employment=None, hire=worker_home.pending_hire(person),
                               last=_employment_row(last) if last else None)
    immediate = consent = available_at = None
    resigning = separation is not None and separation.kind == service.RESIGNATION
    if resigning:
        immediate = _open_task(separation, IMMEDIATE_TASK)
        available_at = None if immediate else _available_at(separation)
    elif separation is not None:
        consent = _open_task(separation, CONSENT_TASK)
    return render_template("separation/mine.html", employment=_employment_row(current), separation=separation,
                           immediate=immediate, available_at=available_at, consent=consent, now=utcnow(),
                           confirm_form=ConfirmForm(),
                           period=_wait_in_words(separation.process_instance_id if resigning else None))


@me.route("/employment/resign", methods=["GET", "POST"])
@login_required
def resign():
    """【申请离职】: the reason, then a review with 【确认】 before anything is sent."""
    _own_person()
    current, _separation = service.mine(current_user)
    if current is None or current.status != "active":
        flash(gettext(service.NOT_EMPLOYED if current is None else service.ALREADY_PENDING), "warning")
        return redirect(url_for(".employment"))
    form, reviewing = ResignationForm(), False
    if form.validate_on_submit():
        step = request.form.get("step")
        if step == "confirm":
            try:
                service.apply_resignation(current_user, form.reason.data)
                db.session.commit()
            except WorkflowFailure:
                db.session.rollback()
                flash(gettext("离职申请提交失败，请稍后重试或联系管理员"), "danger")
            except DomainError as error:
                show_domain_error(form, error)
            else:
                flash(gettext("离职申请已提交，等待企业同意。"), "success")
                return redirect(url_for(".employment"))
        else:
            reviewing = step != "edit"
    return render_template("separation/resign.html", form=form, reviewing=reviewing,
                           enterprise=current.enterprise.name, period=_wait_in_words())


@me.route("/employment/withdraw", methods=["POST"])
@login_required
def withdraw():
    """【撤回离职申请】: the flow stops and the enterprise's task leaves its inbox."""
    _own_person()
    try:
        service.withdraw_resignation(current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "warning")
    else:
        flash(gettext("已撤回离职申请，聘用关系保持在职。"), "success")
    return redirect(url_for(".employment"))


@me.route("/employment/immediate", methods=["POST"])
@login_required
def immediate():
    """【立即离职】 → 【确认】: completes the flow's immediate_resignation task."""
    _own_person()
    _current, separation = service.mine(current_user)
    row = _open_task(separation, IMMEDIATE_TASK) if separation is not None else None
    if row is None or not inbox.is_candidate(current_user, row):
        flash(gettext("当前不能立即离职：离职申请已处理或已撤回，或尚未到可以立即离职的时间。"), "warning")
        return redirect(url_for(".employment"))
    form = ConfirmForm()  # the task's own form (key "confirm"): the dialog's 【确认】 ticks it
    if not form.validate_on_submit():
        flash(gettext("请在弹窗中点击【确认】。"), "warning")
        return redirect(url_for(".employment"))
    problem = _complete(row, {"confirm": True})
    if problem is None:
        flash(gettext("操作成功，已离职"), "success")
    else:
        flash(problem, "warning")
    return redirect(url_for(".employment"))


# --- the enterprise: 【批量解聘】, 【撤销解聘】, 解聘待确认 ---------------------------------------

def _managed_enterprise(eid: int) -> Enterprise:
    """As 人员管理: 404 when the enterprise is not visible, 403 when the user does not hire for it."""
    enterprise = visible_or_404(Enterprise, eid, "enterprise.view")
    require("employment.manage", enterprise)
    return enterprise


def _people(enterprise: Enterprise, ids: list[int]) -> list[dict]:
    """The ticked people with an open employment here, in the order ticked; anyone else
    is left out, so no other enterprise's names show."""
    if not ids:
        return []
    rows = db.session.scalars(select(Employment).where(
        Employment.enterprise_id == enterprise.id, Employment.person_id.in_(ids),
        Employment.status.in_(OPEN_STATUSES)).options(selectinload(Employment.person))).all()
    by_person = {e.person_id: _employment_row(e) for e in rows}
    return [by_person[i] for i in ids if i in by_person]


@employer.route("/dismissals/new")
@login_required
def new_dismissal(eid: int):
    """【批量解聘】 from the staff list's ticked people: ask for the reason."""
    enterprise = _managed_enterprise(eid)
    people = _people(enterprise, _ids(request.args, "person_ids")[:MAX_BATCH])
    if not people:
        flash(gettext("请先勾选要解聘的在职人员。"), "warning")
        return redirect(url_for("staff.index", eid=eid))
    return render_template("separation/dismiss.html", enterprise=enterprise, people=people, form=DismissalForm(),
                           results=None)


@employer.route("/dismissals", methods=["POST"])
@login_required
def dismiss(eid: int):
    """【解除聘用关系】 → 【确认】: each person succeeds or is refused on their own."""
    enterprise = _managed_enterprise(eid)
    form = DismissalForm()
    people = _people(enterprise, _ids(request.form, "person_ids")[:MAX_BATCH])
    if not form.validate_on_submit():
        return render_template("separation/dismiss.html", enterprise=enterprise, people=people, form=form,
                               results=None)
    try:
        results = service.dismiss(current_user, enterprise, form.person_ids.data, form.reason.data)
    except DomainError as error:
        show_domain_error(form, error)
        return render_template("separation/dismiss.html", enterprise=enterprise, people=people, form=form,
                               results=None)
    names = {p["person_id"]: p for p in people}
    places = _places_shown(results)
    rows = [{"person_id": r.person_id, "ok": r.ok, "detail": gettext(r.detail) if r.detail else "",
             "name": names[r.person_id]["name"] if r.person_id in names else gettext("人员 #%(id)d", id=r.person_id),
             "id_number": names[r.person_id]["id_number"] if r.person_id in names else "",
             "places": [places[(p.project_id, p.position)] for p in r.places]} for r in results]
    done = sum(1 for r in rows if r["ok"])
    if done == len(rows):
        flash(gettext("已发起解聘：共%(num)d人，待本人在【消息通知】中同意。", num=done), "success")
    else:
        flash(gettext("%(done)d人已发起解聘，%(failed)d人未能解聘，原因见下表。", done=done, failed=len(rows) - done),
              "warning")
    return render_template("separation/dismiss.html", enterprise=enterprise, people=people, form=form,
                           results=rows, reason=form.reason.data)


def _places_shown(results) -> dict[tuple, dict]:
    """(project_id, position) → the project's name and the position, for the managers
    refused: which site must exit them, or where another manager must be made PM."""
    wanted = {(p.project_id, p.position) for r in results for p in r.places}
    names = dict(db.session.execute(select(Project.id, Project.name).where(
        Project.id.in_({project_id for project_id, _position in wanted}))).all()) if wanted else {}
    return {(project_id, position): {"project": names.get(project_id, ""),
                                     "position": POSITION_LABELS.get(position, position)}
            for project_id, position in wanted}


@employer.route("/dismissals/<int:person_id>/cancel", methods=["POST"])
@login_required
def cancel_dismissal(eid: int, person_id: int):
    """【撤销解聘】 before the person has answered: the employment is active again."""
    enterprise = _managed_enterprise(eid)
    if person_id > MAX_ID:
        abort(404)
    try:
        separation = service.cancel_dismissal(current_user, enterprise, person_id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "warning")
    else:
        flash(gettext("已撤销对%(name)s的解聘，恢复在职。", name=separation.person.name), "success")
    status = request.form.get("status", "")
    return redirect(url_for("staff.index", eid=eid, status=status if status in STATUS_LABELS else None))


def _separations_of(tasks) -> dict[int, Separation]:
    ids = [i for t in tasks if isinstance(i := (t.subject or {}).get("separation_id"), int)]
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(select(Separation).where(Separation.id.in_(ids)).options(
        selectinload(Separation.person), selectinload(Separation.employment)))}


def _agreement_rows(tasks) -> list[dict]:
    separations = _separations_of(tasks)
    timers = dict(db.session.execute(select(WorkflowTimer.instance_id, WorkflowTimer.due_at).where(
        WorkflowTimer.instance_id.in_([t.instance_id for t in tasks] or [-1]))).all())
    periods = timer_periods.of_instances([t.instance_id for t in tasks], rule_periods.RESIGNATION_WAIT.timer_id)
    rows = []
    for t in tasks:
        s = separations.get((t.subject or {}).get("separation_id"))
        e = s.employment if s else None
        rows.append({
            "task": t, "name": s.person.name if s else (t.subject_text or t.title), "id_number": _masked(s and s.person),
            "identity": IDENTITY_LABELS.get(e.identity, "") if e and e.identity else "",
            "job_type": f"{e.job_type} {trade_name(e.job_type)}" if e and e.job_type else "",
            "reason": s.reason if s else "", "requested_at": s.requested_at if s else t.created_at,
            "available_at": timers.get(t.instance_id),
            "period": timer_periods.describe(periods.get(t.instance_id)) or gettext("规定时间"),
            "claimed_by_other": t.claimed_by_id not in (None, current_user.id)})
    return rows


@employer.route("/resignations")
@login_required
def agreements(eid: int):
    """解聘待确认: the people who applied to resign, awaiting the enterprise's 【同意】."""
    enterprise = _managed_enterprise(eid)
    # The longest-waiting first: after the waiting period the person may leave without the enterprise.
    page = paginate(agreement_tasks(current_user, enterprise).order_by(None).order_by(HumanTask.created_at,
                                                                                     HumanTask.id))
    return render_template("separation/agreements.html", enterprise=enterprise, page=page,
                           rows=_agreement_rows(page.items), now=utcnow())


@employer.route("/resignations/agree", methods=["POST"])
@login_required
def agree(eid: int):
    """【同意】 one or the ticked resignations → 【确认】; each is completed on its own."""
    enterprise = _managed_enterprise(eid)
    back = redirect(url_for(".agreements", eid=eid))
    ids = _ids(request.form, "task_ids")
    if not ids:
        flash(gettext("请先勾选要同意的离职申请。"), "warning")
        return back
    if len(ids) > MAX_BATCH:
        flash(gettext("一次最多处理%(num)d人，请分批操作。", num=MAX_BATCH), "warning")
        return back
    done, failed = 0, []
    for task_id in ids:
        problem = _agree_one(enterprise, task_id)
        if problem is None:
            done += 1
        else:
            failed.append(problem)
    if done:
        flash(gettext("解聘成功：已同意%(num)d人离职。", num=done), "success")
    for message in failed[:10]:
        flash(message, "danger")
    if len(failed) > 10:
        flash(gettext("另有 %(num)d 项失败未列出", num=len(failed) - 10), "danger")
    return back


def _agree_one(enterprise: Enterprise, task_id: int) -> str | None:
    row = db.session.get(HumanTask, task_id)
    if (row is None or row.task_key != AGREE_TASK or row.candidate_enterprise_id != enterprise.id
            or not inbox.is_candidate(current_user, row)):
        return gettext("待办 #%(id)d：不存在或无权处理", id=task_id)
    separation = _separations_of([row]).get(row.subject.get("separation_id"))
    label = separation.person.name if separation else (row.subject_text or f"#{row.id}")
    problem = _complete(row, dict(AGREE_DATA))
    return None if problem is None else gettext("%(task)s：%(reason)s", task=label, reason=problem)


bp.register_blueprint(me)
bp.register_blueprint(employer)
