"""工资条 on the worker's phone (DOMAIN §8): the person's own payroll lines, month by
month, once the batch's summary is made — project, employer, days, 应发 / 扣款 / 实发
and whether the bank paid it."""
from flask import Blueprint, abort, make_response, render_template
from flask_babel import gettext
from flask_login import current_user, login_required

from app.services import payroll_batch as batch_service
from app.web.payroll import PAY_STATUS, yuan

bp = Blueprint("payroll_wages", __name__, url_prefix="/me")


def _months(lines) -> list[dict]:
    months: list[dict] = []
    for line in lines:
        batch = line.draft.batch
        if not months or months[-1]["month"] != batch.pay_month:
            months.append({"month": batch.pay_month, "slips": []})
        months[-1]["slips"].append({
            "project": batch.project.name, "enterprise": line.draft.enterprise.name, "batch_no": batch.batch_no,
            "period": (batch.period_start, batch.period_end), "days": line.days, "gross": yuan(line.gross_fen),
            "deductions": yuan(line.deductions_fen or 0), "net": yuan(line.net_fen), "status": line.pay_status,
            "status_label": _status(line, batch), "reason": line.pay_failure_reason or "",
            "resent": line.resent_in_batch_id is not None})
    return months


def _status(line, batch) -> str:
    if line.pay_status:
        return str(PAY_STATUS[line.pay_status]) if line.pay_status in PAY_STATUS else line.pay_status
    return gettext("银行处理中") if batch.status in ("pushed", "paid", "partially_paid") else gettext("待发放")


@bp.route("/wages")
@login_required
def mine():
    person = current_user.person
    if person is None:  # staff accounts without a personal record have no wages here
        abort(404)
    response = make_response(render_template("payroll/wages.html", months=_months(batch_service.wage_lines(person))))
    response.headers["Cache-Control"] = "private, no-store"
    return response
