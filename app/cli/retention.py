"""`flask retention report` and `flask retention purge [--yes]`: both list what would go,
by month; only `purge --yes` deletes it. Importing this module also schedules a monthly
reminder for `flask scheduler run`: it counts what a purge would remove (deleting
nothing — purging stays a decision made after the nightly backup) and the monitor shows it."""
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from app.services import retention as service
from app.services.errors import DomainError
from app.services.idcard import SHANGHAI
from app.services.retention_wages import DELIVERY_PENDING, FAMILY_KEPT, WORKFLOW_OPEN
from app.workflow.scheduler import register_job

retention = AppGroup("retention", help="Retention of attendance (≥ 2 years) and wage records (≥ 3 years).")

LABELS = {"attendance": "考勤记录", "signin": "班前签到记录", "bank_batch": "银行交换批次",
          "payroll_draft": "工资支付表", "payroll_line": "工资支付表明细", "bank_receipt": "银行回执",
          "outbox_message": "银行推送消息",
          "process_instance": "已结束的流程实例", "process_event": "流程记录", "human_task": "待办记录",
          "workflow_timer": "定时器", "workflow_message_wait": "消息等待"}
WHY_KEPT = {FAMILY_KEPT: "a batch it is linked to (its follow-up, or the batch it re-sends) is kept",
            WORKFLOW_OPEN: "its workflow has not finished (finish or terminate it first)",
            DELIVERY_PENDING: "its message to the bank is still being delivered"}


def _today():
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


def remind() -> str:
    """The monthly reminder (a scheduled job): what a purge today would remove, counted."""
    totals = service.totals(service.plan(current_app.config, _today()))
    due = "，".join(f"{LABELS.get(kind, kind)} {n}" for kind, n in totals.items() if n)
    return f"已过保存期限：{due}。备份后运行 flask retention purge --yes" if due else "没有已过保存期限的记录"


register_job("retention_reminder", remind, "cron", day=1, hour=1, minute=0, title=_l("保存期限到期提醒"))


def _named(counts: dict) -> str:
    return ", ".join(f"{kind} ({LABELS.get(kind, kind)}) {n}" for kind, n in counts.items() if n)


def _paid(batch) -> str:
    return f"paid {batch.paid_on}" if batch.paid_on else f"not paid, last changed {batch.last_change}"


def _show(today) -> dict:
    """Prints what a purge today would remove and returns its totals."""
    try:
        plan = service.plan(current_app.config, today)
    except DomainError as error:
        raise click.ClickException(error.message % error.params)
    attendance, wages = plan.horizons["attendance"], plan.horizons["wages"]
    click.echo(f"attendance: kept {attendance.years} years from the work date; "
               f"dated before {attendance.keep_from} may be removed")
    click.echo(f"wages: kept {wages.years} years from payment (never paid: from the last change); "
               f"paid or last changed before {wages.keep_from} may be removed")
    click.echo("attendance past the period, by work month:" if plan.attendance else "attendance: none past the period")
    for month, counts in plan.attendance.items():
        click.echo(f"  {month}: {_named(counts)}")
    if plan.whole_months:  # PostgreSQL: counted above all the same
        click.echo("  whole months, removed by dropping their partitions: " + ", ".join(plan.whole_months))
    months = plan.wage_months()
    click.echo("wage records past the period, by pay month:" if months else "wage records: none past the period")
    for month, batches in months.items():
        click.echo(f"  {month}: " + "; ".join(f"{b.batch_no} {_paid(b)}" for b in batches))
        click.echo(f"    {_named(service.wage_rows(batches))}")
    if plan.kept:
        click.echo("kept although past their own period:")
    for batch, why in sorted(plan.kept.values(), key=lambda kept: kept[0].batch_no):
        click.echo(f"  {batch.batch_no} ({batch.pay_month}, {_paid(batch)}): {WHY_KEPT[why]}")
    totals = service.totals(plan)
    click.echo("in all:")
    for kind, n in totals.items():
        click.echo(f"  {kind} ({LABELS.get(kind, kind)}): {n} past the period")
    return totals


@retention.command("report")
def report():
    """List by month what is past its period (changes nothing)."""
    _show(_today())


@retention.command("purge")
@click.option("--yes", is_flag=True, help="Delete them; without it this is a dry run.")
def purge(yes: bool):
    """Delete records past their retention period (a dry run unless --yes)."""
    today = _today()
    counts = _show(today)
    if not yes:
        click.echo("dry run: nothing deleted (add --yes to delete)")
        return
    done = service.purge(current_app.config, today)
    click.echo("deleted: " + ", ".join(f"{kind} {n}" for kind, n in done.items()))
    if done != counts:
        click.echo("note: records changed between the listing and the deletion; the audit entry has what was deleted")
