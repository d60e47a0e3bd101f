"""How long presence and wage records are kept (保障农民工工资支付条例 Art. 15 and
Shanghai's real-name rules), and the purge of what is older:

- attendance punches and pre-shift sign-ins: at least two years from their work date;
- wage records — a bank batch with its tables, lines, the bank's receipts and its
  messages to the bank (the outbox): at least three years from the day it was paid, or,
  never paid, from its last change (exactly how, and which batches stay with their
  family: app/services/retention_wages.py). The finished workflow state about a purged
  batch goes with it.

On PostgreSQL attendance and sign-ins are partitioned by month (app/services/partitions.py):
a whole month past the period goes by dropping its partitions, the partly-past month by
DELETE, counted and audited alike.

Nothing else in the product deletes these records. A period shorter than the law's — 0
and negative included — is refused, never replaced by the minimum. Dates are Shanghai
calendar dates; a record dated exactly `years` ago stays until the next day."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, delete, func, select

from app.extensions import db
from app.models import Attendance, BankBatch, SignIn
from app.services import audit, partitions
from app.services.errors import RuleViolation
from app.services.i18n import N_
from app.services.retention_wages import (WageBatch, chunks, finished_instances, past_their_period,
                                          rows_of_batches, rows_of_instances)

MINIMUM_YEARS = {"attendance": 2, "wages": 3}
SETTINGS = {"attendance": "RETENTION_ATTENDANCE_YEARS", "wages": "RETENTION_WAGE_YEARS"}
TOO_SHORT = N_("%(setting)s 应为不少于%(years)d的整数（法定最低保存年限），现为 %(value)s：未删除任何记录")

ATTENDANCE = {"attendance": Attendance, "signin": SignIn}
# every count a purge reports, in the order it is shown
KINDS = ("attendance", "signin", "bank_batch", "payroll_draft", "payroll_line", "bank_receipt", "outbox_message",
         "process_instance", "process_event", "human_task", "workflow_timer", "workflow_message_wait")


@dataclass(frozen=True)
class Horizon:
    """Records dated before `keep_from` may go; `years` is the period applied."""
    kind: str
    years: int
    keep_from: date


@dataclass(frozen=True)
class Plan:
    """What a purge today removes. Making one changes nothing."""
    horizons: dict[str, Horizon]
    attendance: dict[str, dict[str, int]]  # by work month "YYYY-MM": {"attendance": n, "signin": n}
    batches: list[WageBatch]  # to purge, by pay month
    kept: dict[int, tuple[WageBatch, str]]  # past their own period but kept, and why
    whole_months: list[str]  # partitions a purge drops whole (PostgreSQL); the rest goes by DELETE

    def wage_months(self) -> dict[str, list[WageBatch]]:
        months = defaultdict(list)
        for batch in self.batches:
            months[batch.pay_month].append(batch)
        return dict(months)


# --- the periods ----------------------------------------------------------------------------------

def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def period(config, kind: str) -> int:
    setting, minimum = SETTINGS[kind], MINIMUM_YEARS[kind]
    years = config.get(setting, minimum)
    if isinstance(years, bool) or not isinstance(years, int) or years < minimum:
        raise RuleViolation(TOO_SHORT, setting=setting, years=minimum, value=years)
    return years


def horizons(config, today: date) -> dict[str, Horizon]:
    """Both periods checked before either is used: one refused, nothing happens."""
    years = {kind: period(config, kind) for kind in MINIMUM_YEARS}
    return {kind: Horizon(kind, n, years_before(today, n)) for kind, n in years.items()}


# --- what would go --------------------------------------------------------------------------------

def plan(config, today: date) -> Plan:
    h = horizons(config, today)
    batches, kept = past_their_period(h["wages"].keep_from)
    keep_from = h["attendance"].keep_from
    whole = [p.name for model in ATTENDANCE.values()
             for p in partitions.whole_months_before(model.__tablename__, keep_from.replace(day=1))]
    return Plan(h, _attendance_by_month(keep_from), batches, kept, whole)


def _attendance_by_month(keep_from: date) -> dict[str, dict[str, int]]:
    months = defaultdict(lambda: dict.fromkeys(ATTENDANCE, 0))
    for kind, model in ATTENDANCE.items():
        for day, n in db.session.execute(select(model.work_date, func.count()).where(model.work_date < keep_from)
                                         .group_by(model.work_date)):
            months[f"{day:%Y-%m}"][kind] += n
    return dict(sorted(months.items()))


def wage_rows(batches: list[WageBatch]) -> dict[str, int]:
    """How many rows go with these batches, table by table."""
    counts = defaultdict(int, bank_batch=len(batches))
    for chunk in chunks([b.id for b in batches]):
        for name, model, condition in rows_of_batches(chunk):
            counts[name] += _count(model, condition)
        for instances in chunks(finished_instances(chunk)):
            for name, model, condition in rows_of_instances(instances):
                counts[name] += _count(model, condition)
    return _in_order(counts)


def totals(p: Plan) -> dict[str, int]:
    counts = wage_rows(p.batches)
    for month in p.attendance.values():
        for kind, n in month.items():
            counts[kind] += n
    return counts


def _in_order(counts: dict[str, int]) -> dict[str, int]:
    """Every kind of KINDS in its order, then any other table's count."""
    return {kind: counts.get(kind, 0) for kind in KINDS} | counts


def _count(model, condition) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition))


# --- the purge ------------------------------------------------------------------------------------

def purge(config, today: date, actor=None) -> dict[str, int]:
    """Deletes what `plan` lists, all in one transaction with its audit entry: an error
    anywhere leaves every record in place. Returns the counts deleted."""
    p = plan(config, today)
    try:
        # The batches locked, then listed again: a receipt or a re-send for one of them
        # (both lock the batch first) either came before and is seen, or waits and finds it gone.
        _lock([b.id for b in p.batches])
        p = plan(config, today)
        wages = _delete_wage_records([b.id for b in p.batches])
        attendance, dropped = _purge_attendance(p.horizons["attendance"].keep_from)
        counts = _in_order(attendance | wages)
        audit.record(actor, "retention.purge", "retention", today.isoformat(),
                     attendance_before=p.horizons["attendance"].keep_from.isoformat(),
                     wages_before=p.horizons["wages"].keep_from.isoformat(),
                     pay_months=sorted(p.wage_months()), batches=[b.batch_no for b in p.batches],
                     kept_past_period=len(p.kept), partitions_dropped=dropped, **counts)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


def _purge_attendance(keep_from: date) -> tuple[dict[str, int], list[str]]:
    """Whole months before the horizon's month go by dropping their partitions (PostgreSQL);
    the partly-past month, and rows held by no month's partition (the default partition;
    every row on SQLite), go by DELETE. Last in the purge, drops last of all: a dropped
    partition holds its table's exclusive lock, which stops sign-ins, until the commit.
    Returns the counts by kind and the partitions dropped."""
    month = keep_from.replace(day=1)
    counts = {kind: _delete(model, and_(model.work_date >= month, model.work_date < keep_from))
              for kind, model in ATTENDANCE.items()}
    dropped = []
    for kind, model in ATTENDANCE.items():
        gone = partitions.drop_before(model.__tablename__, month)
        counts[kind] += sum(gone.values()) + _delete(model, model.work_date < month)
        dropped += gone
    return counts, dropped


def _delete_wage_records(batch_ids: list[int]) -> dict[str, int]:
    # Statements by chunks of ids only to stay under the drivers' parameter limits; the
    # caller's one transaction holds them all. Higher ids first: a follow-up is always made
    # after the batch it re-sends, so it goes in the same or an earlier statement.
    ids = sorted(batch_ids, reverse=True)
    # found before the batches and tables that name them are gone
    instances = sorted({i for chunk in chunks(ids) for i in finished_instances(chunk)})
    counts = defaultdict(int)
    for chunk in chunks(ids):
        for name, model, condition in rows_of_batches(chunk):
            counts[name] += _delete(model, condition)
    for chunk in chunks(ids):
        counts["bank_batch"] += _delete(BankBatch, BankBatch.id.in_(chunk))
    for chunk in chunks(instances):
        for name, model, condition in rows_of_instances(chunk):
            counts[name] += _delete(model, condition)
    return counts


def _lock(batch_ids: list[int]) -> None:
    for chunk in chunks(batch_ids):
        db.session.execute(select(BankBatch.id).where(BankBatch.id.in_(chunk)).with_for_update())


def _delete(model, condition) -> int:
    return db.session.execute(delete(model).where(condition).execution_options(synchronize_session=False)).rowcount
