"""【查询】 on the payroll lists (manual 004 四): 发放月份, 银行交换批次号, 状态 and, on the
enterprise-wide list, 项目 — read from the query string, checked, and applied to a query
of bank batches. A value that is not valid is not applied: the field says why."""
import re
from dataclasses import dataclass, field

from flask import request
from flask_babel import gettext

from app.models import BankBatch
from app.services.text_input import has_forbidden_characters

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
MAX_BATCH_NO = 40  # BankBatch.batch_no's length
PER_PAGE = 20


@dataclass
class Filters:
    month: str = ""
    batch_no: str = ""
    status: str = ""
    project_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def args(self) -> dict:
        """The applied filters as query arguments, for the pager's links."""
        values = {"month": self.month, "batch_no": self.batch_no, "status": self.status,
                  "project_id": self.project_id}
        return {key: value for key, value in values.items() if value}


def read(statuses: dict, projects: dict | None = None) -> Filters:
    """The filters of this request; `statuses` and `projects` are the choices offered."""
    found = Filters()
    month = _arg("month")
    if month and _MONTH.match(month):
        found.month = month
    elif month:
        found.errors["month"] = gettext("发放月份格式应为YYYY-MM，例如2026-11")
    batch_no = _arg("batch_no")
    if len(batch_no) > MAX_BATCH_NO or has_forbidden_characters(batch_no):
        found.errors["batch_no"] = gettext("银行交换批次号不能超过%(num)d个字符", num=MAX_BATCH_NO)
    else:
        found.batch_no = batch_no
    status = _arg("status")
    if status in statuses:
        found.status = status
    elif status:
        found.errors["status"] = gettext("请选择状态")
    project = _arg("project_id")
    if projects is not None and project:
        if project.isdigit() and int(project) in projects:
            found.project_id = int(project)
        else:
            found.errors["project_id"] = gettext("请选择项目")
    return found


def _arg(name: str) -> str:
    return (request.args.get(name) or "").strip()[:200]


def on_batches(query, filters: Filters, status_column=BankBatch.status):
    """The month, batch number and project filters on a query joined to BankBatch; the
    status on `status_column` (a draft's own status on the drafts list)."""
    if filters.month:
        query = query.where(BankBatch.pay_month == filters.month)
    if filters.batch_no:
        query = query.where(BankBatch.batch_no.contains(filters.batch_no, autoescape=True))
    if filters.status:
        query = query.where(status_column == filters.status)
    if filters.project_id:
        query = query.where(BankBatch.project_id == filters.project_id)
    return query
