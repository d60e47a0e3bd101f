"""项目人员接收 (manual 004: 【从业人员实名制管理】-【建筑工人实名制管理】-【项目人员接收】):
level 1 of the allocation confirmation for the allocating enterprise's PM or site
operator on the project — 【查询】 by 姓名, 单位 and 角色, then 【接收】 / 【不接收】 in bulk.

Each ticked person's level1_accept task is completed through the same workflow call
as the inbox and 待同意分配人数 (site._bulk); level 2 (the GC PM's 【同意】) stays there.
Nested in the site blueprint: endpoint site.receive.index.
"""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from app.web import allocation as common
from app.web import site as site_pages
from app.web.helpers import page_of_list

bp = Blueprint("receive", __name__, url_prefix="/receive")

TASK_KEY = "level1_accept"


def _summary(decision: str, done: int, failed: int) -> str:
    if decision == "agree":
        return gettext("已接收 %(done)d 人，%(failed)d 人处理失败", done=done, failed=failed)
    return gettext("已不接收 %(done)d 人，%(failed)d 人处理失败", done=done, failed=failed)


def _filters() -> dict:
    args = request.values
    role = args.get("role", "")
    enterprise_id = site_pages._enterprise_filter()
    return {"name": (args.get("name") or "").strip()[:64], "enterprise_id": enterprise_id,
            "role": role if role in common.ROLE_LABELS else ""}


def _matches(row: dict, filters: dict) -> bool:
    allocation = row["allocation"]
    if filters["name"] and filters["name"] not in row["name"]:
        return False
    if filters["enterprise_id"] is not None and (allocation is None
                                                 or allocation.enterprise_id != filters["enterprise_id"]):
        return False
    return not filters["role"] or (allocation is not None and allocation.role == filters["role"])


@bp.route("/", methods=["GET", "POST"])
@login_required
def index(pid: int):
    project = site_pages._project(pid)
    filters = _filters()
    kept = {key: value for key, value in filters.items() if value not in ("", None)}
    if request.method == "POST":
        site_pages._bulk(project, summary=_summary, task_key=TASK_KEY)
        return redirect(url_for(".index", pid=pid, **kept))
    tasks = [t for t in site_pages._my_pending_tasks(project) if t.task_key == TASK_KEY]
    all_rows = site_pages._task_rows(tasks, site_pages._allocations_of(tasks))
    units = {}
    for row in all_rows:
        if row["allocation"] is not None:
            units[row["allocation"].enterprise_id] = row["enterprise"]
    rows = [row for row in all_rows if _matches(row, filters)]
    page = page_of_list(rows, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_template("site/receive.html", project=project, page=page, filters=filters, kept=kept,
                           units=sorted(units.items(), key=lambda item: item[1]), total=len(all_rows),
                           role_labels=common.ROLE_LABELS)
