"""【工资支付表推送银行】 on the enterprise side (manual 004 四.6): "总包单位登录企业端 …
【查询】…查询所有当前总包单位所有项目的工资支付表 … 【去签署】". For the legal representative
and HR of an enterprise, every summarized batch of every project where that enterprise is
the general contractor, with 【查询】 by project, pay month and status; 【去签署】 leads the
legal representative to the batch's signing page (payroll_batches.sign) when the PM has
signed. Nobody sees another enterprise's batches.
"""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from app.extensions import db
from app.models import BankBatch, Project
from app.services import roles
from app.web import payroll_filters
from app.web.payroll import page_number
from app.web.payroll_menus import SUMMARIZED, push_row

bp = Blueprint("enterprise_payroll", __name__)


def _gc_enterprises(user) -> set[int]:
    """The enterprises for which the user is legal representative or HR."""
    return {g.enterprise_id for g in user.grants if g.role in roles.ENTERPRISE_ROLES and g.project_id is None}


@bp.route("/payroll/bank-push")
@login_required
def bank_push():
    enterprises = _gc_enterprises(current_user)
    if not enterprises:
        abort(403)
    projects = {p.id: p.name for p in db.session.scalars(
        select(Project).where(Project.gc_enterprise_id.in_(enterprises)).order_by(Project.name))}
    filters = payroll_filters.read(SUMMARIZED, projects)
    query = (select(BankBatch).join(Project, Project.id == BankBatch.project_id)
             .where(Project.gc_enterprise_id.in_(enterprises), BankBatch.status != "open")
             .options(defer(BankBatch.document), selectinload(BankBatch.project)))
    query = payroll_filters.on_batches(query, filters)
    # what waits for the enterprise's signature first, then the newest
    query = query.order_by((BankBatch.status != "pm_signed"), BankBatch.pay_month.desc(), Project.name,
                           BankBatch.attempt.desc())
    page = db.paginate(query, page=page_number(), per_page=payroll_filters.PER_PAGE, error_out=False)
    return render_template("payroll/enterprise_push.html", page=page, rows=[push_row(b) for b in page.items],
                           filters=filters, statuses=SUMMARIZED, projects=projects), 422 if filters.errors else 200
