"""聘用登记 as manual 000: 选择身份 → the 姓名 picker (people of this enterprise who consented
and await registration) → 【选择】 → the required fields for each chosen person → 【确认】
→ "聘用成功" naming who.

Each person is completed through the hire flow's own employment_registration task, as
the inbox does — one transaction per person: one refusal names who and why and leaves
the others registered. Every field is checked for everyone before anyone is completed.
Nested in the enterprise blueprint: endpoints enterprise.hire_registration.*.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.forms.employment import EmploymentRegistrationPageForm, job_type_choices
from app.models import Employment, Enterprise, HumanTask, Person
from app.services.errors import DomainError
from app.services.idcard import mask_id_number
from app.services.job_types import MANAGER_CODE
from app.web.helpers import require, visible_or_404
from app.workflow import inbox, runtime
from app.workflow.errors import TaskConflict, WorkflowFailure

bp = Blueprint("hire_registration", __name__, url_prefix="/<int:eid>/hire-registration")

PROCESS_KEY, TASK_KEY = "hire_consent", "employment_registration"
IDENTITIES = {"worker": _l("建筑工人"), "manager": _l("管理人员")}
PICK_LIMIT = 50  # people registered in one 【确认】


def _enterprise(eid: int) -> Enterprise:
    """404 when the enterprise is not visible, 403 when the user does not hire for it."""
    enterprise = visible_or_404(Enterprise, eid, "enterprise.view")
    require("employment.manage", enterprise)
    return enterprise


def awaiting(enterprise: Enterprise, name: str | None = None, employment_ids=None) -> list[tuple]:
    """(task, employment) for the people of this enterprise who consented and whose
    registration task the current user may complete, oldest consent first."""
    query = (inbox.my_tasks(current_user, process_key=PROCESS_KEY).order_by(None)
             .where(HumanTask.task_key == TASK_KEY)
             .join(Employment, Employment.process_instance_id == HumanTask.instance_id)
             .join(Person, Person.id == Employment.person_id)
             .where(Employment.enterprise_id == enterprise.id, Employment.status == "pending_registration")
             .add_columns(Employment).options(selectinload(Employment.person))
             .order_by(HumanTask.created_at, HumanTask.id))
    if name:
        query = query.where(Person.name.contains(name, autoescape=True))
    if employment_ids is not None:
        query = query.where(Employment.id.in_(employment_ids or [0]))
    return [tuple(row) for row in db.session.execute(query).all()]


def _person_row(task, employment) -> dict:
    person = employment.person
    return {"task": task, "employment_id": employment.id, "name": person.name,
            "id_number": mask_id_number(person.id_number) if person.id_number else "",
            "consented_at": task.created_at}


def _identity() -> str | None:
    value = request.values.get("identity", "")
    return value if value in IDENTITIES else None


def _chosen_ids() -> list[int]:
    ids = []
    for value in request.values.getlist("e"):
        if value.isascii() and value.isdigit() and len(value) <= 9 and int(value) not in ids:
            ids.append(int(value))
    return ids


@bp.route("/", methods=["GET"])
@login_required
def index(eid: int):
    """Steps 1–2: 选择身份 and the 姓名 picker; 【选择】 goes on to the fields."""
    enterprise = _enterprise(eid)
    q = (request.args.get("q") or "").strip()[:64]
    rows = [_person_row(t, e) for t, e in awaiting(enterprise, q or None)]
    return render_template("enterprise/hire_registration.html", enterprise=enterprise, step="pick",
                           identity=_identity(), identities=IDENTITIES, q=q, rows=rows,
                           chosen=set(_chosen_ids()))


def _person_form(identity: str, employment_id: int, source=None) -> EmploymentRegistrationPageForm:
    """One chosen person's fields, named e<id>-job_type etc. on the page; the identity is
    the one chosen for all (a manager's 工种 is always 900 管理人员)."""
    prefix = f"e{employment_id}-"
    data = MultiDict({"identity": identity})
    if source is not None:
        for key in ("job_type", "contract_start", "wage_standard"):
            data[key] = source.get(prefix + key, "")
        if identity == "manager":
            data["job_type"] = MANAGER_CODE
    form = EmploymentRegistrationPageForm(formdata=data if source is not None else None, meta={"csrf": False})
    if source is None:
        form.identity.data = identity
        form.job_type.data = MANAGER_CODE if identity == "manager" else None
    return form


@bp.route("/fill", methods=["GET", "POST"])
@login_required
def fill(eid: int):
    """Steps 3–4: the required fields of each chosen person, then 【确认】."""
    enterprise = _enterprise(eid)
    identity, ids = _identity(), _chosen_ids()
    back = url_for(".index", eid=eid, identity=identity, e=ids)
    if identity is None:
        flash(gettext("请先选择身份：建筑工人或管理人员"), "warning")
        return redirect(back)
    if not ids:
        flash(gettext("请在姓名列表中勾选要登记的人员，再点击【选择】"), "warning")
        return redirect(back)
    if len(ids) > PICK_LIMIT:
        flash(gettext("一次最多登记%(num)d人，请分批操作。", num=PICK_LIMIT), "warning")
        return redirect(back)
    chosen = awaiting(enterprise, employment_ids=ids)
    if len(chosen) < len(ids):
        flash(gettext("部分人员已登记或无权办理，已从列表中移除。"), "warning")
    if not chosen:
        return redirect(url_for(".index", eid=eid, identity=identity))
    guard = FlaskForm()  # the page's CSRF token
    source = request.form if request.method == "POST" else None
    people = [(_person_row(t, e), _person_form(identity, e.id, source)) for t, e in chosen]
    if request.method == "POST":
        if not guard.validate_on_submit():
            abort(400)
        valid = [form.validate() for _row, form in people]  # every person's errors shown at once
        if all(valid):
            return _register_all(enterprise, identity, people)
        flash(gettext("请按提示修改标红的内容，所有人员均未登记。"), "danger")
    return render_template("enterprise/hire_registration.html", enterprise=enterprise, step="fill",
                           identity=identity, identities=IDENTITIES, people=people, guard=guard,
                           job_types=[c for c in job_type_choices() if c.value != MANAGER_CODE],
                           manager_code=MANAGER_CODE)


def _register_all(enterprise, identity, people):
    done, failed = [], []
    for row, form in people:
        problem = _register_one(row["task"], form)
        if problem is None:
            done.append(row["name"])
        else:
            failed.append(gettext("%(name)s：%(reason)s", name=row["name"], reason=problem))
    if done:
        flash(gettext("聘用成功：%(names)s", names="、".join(done)), "success")
    for message in failed:
        flash(gettext("聘用登记未成功 — %(detail)s", detail=message), "danger")
    return redirect(url_for(".index", eid=enterprise.id, identity=identity))


def _register_one(task: HumanTask, form) -> str | None:
    """Completes one person's registration task; returns why it failed, or None."""
    if not inbox.is_candidate(current_user, task):
        return gettext("不存在或无权办理")
    try:
        runtime.complete(task, current_user, form.as_task_data())
    except TaskConflict:
        db.session.rollback()
        return gettext("该待办已被处理、撤回或被他人认领")
    except WorkflowFailure:
        return gettext("已提交，但后续流程处理出错，管理员将尽快处理")
    except DomainError as error:
        db.session.rollback()
        return gettext(error.message, **error.params)
    return None
