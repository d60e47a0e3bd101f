"""How long presence and wage records are kept (保障农民工工资支付条例 Art. 15 and
Shanghai's real-name rules): attendance and sign-ins at least two years, wage records
(payroll tables, their lines and bank batches) at least three.

Nothing in the product deletes these records. `flask retention purge` removes what is
older than the configured periods, and refuses periods shorter than the legal minimum,
so personal data is not kept for ever either. Dates are Shanghai calendar dates."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Attendance, BankBatch, PayrollDraft, PayrollLine, SignIn
from app.services import audit
from app.services.errors import RuleViolation
from app.services.i18n import N_

MINIMUM_YEARS = {"attendance": 2, "wages": 3}
SETTINGS = {"attendance": "RETENTION_ATTENDANCE_YEARS", "wages": "RETENTION_WAGE_YEARS"}
TOO_SHORT = N_("%(setting)s 不能少于%(years)d年（法定最低保存期限）")


@dataclass(frozen=True)
class Horizon:
    """Records dated before `keep_from` may go; `years` is the period applied."""
    kind: str
    years: int
    keep_from: date


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def horizons(config, today: date) -> dict[str, Horizon]:
    result = {}
    for kind, minimum in MINIMUM_YEARS.items():
        years = int(config.get(SETTINGS[kind]) or minimum)
        if years < minimum:
            raise RuleViolation(TOO_SHORT, setting=SETTINGS[kind], years=minimum)
        result[kind] = Horizon(kind, years, years_before(today, years))
    return result


def _old_batches(keep_from: date):
    """Batches whose whole pay month lies before the horizon; a follow-up batch has its
    parent's pay month, so a family of batches goes together."""
    return select(BankBatch.id).where(BankBatch.pay_month < f"{keep_from:%Y-%m}")


def due(config, today: date) -> dict[str, int]:
    """How many records of each kind are past their period."""
    h = horizons(config, today)
    att, wages = h["attendance"].keep_from, h["wages"].keep_from
    count = lambda query: db.session.scalar(select(func.count()).select_from(query.subquery()))  # noqa: E731
    drafts = select(PayrollDraft.id).where(PayrollDraft.batch_id.in_(_old_batches(wages)))
    return {
        "attendance": count(select(Attendance.id).where(Attendance.work_date < att)),
        "signin": count(select(SignIn.id).where(SignIn.work_date < att)),
        "payroll_line": count(select(PayrollLine.id).where(PayrollLine.draft_id.in_(drafts))),
        "payroll_draft": count(drafts),
        "bank_batch": count(_old_batches(wages)),
    }


def purge(config, today: date, actor=None) -> dict[str, int]:
    """Deletes what `due` counts, in one transaction, and records the counts."""
    h = horizons(config, today)
    att, wages = h["attendance"].keep_from, h["wages"].keep_from
    old_batches = [row for row in db.session.scalars(_old_batches(wages))]
    drafts = select(PayrollDraft.id).where(PayrollDraft.batch_id.in_(old_batches))
    counts = {
        "attendance": db.session.execute(delete(Attendance).where(Attendance.work_date < att)).rowcount,
        "signin": db.session.execute(delete(SignIn).where(SignIn.work_date < att)).rowcount,
        "payroll_line": db.session.execute(delete(PayrollLine).where(PayrollLine.draft_id.in_(drafts))).rowcount,
        "payroll_draft": db.session.execute(delete(PayrollDraft).where(PayrollDraft.batch_id.in_(old_batches))).rowcount,
    }
    # follow-ups first: they point at the batch they re-send
    followups = db.session.execute(delete(BankBatch).where(BankBatch.id.in_(old_batches),
                                                           BankBatch.parent_id.is_not(None))).rowcount
    counts["bank_batch"] = followups + db.session.execute(
        delete(BankBatch).where(BankBatch.id.in_(old_batches))).rowcount
    audit.record(actor, "retention.purge", "retention", today.isoformat(),
                 attendance_before=att.isoformat(), wages_before=wages.isoformat(), **counts)
    db.session.commit()
    return counts
