"""`flask retention report` and `flask retention purge`."""
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.services import retention as service
from app.services.errors import DomainError
from app.services.idcard import SHANGHAI

retention = AppGroup("retention", help="Retention of attendance (≥ 2 years) and wage records (≥ 3 years).")

LABELS = {"attendance": "考勤记录", "signin": "班前签到记录", "payroll_line": "工资支付表明细",
          "payroll_draft": "工资支付表", "bank_batch": "银行交换批次"}


def _today():
    return datetime.now(SHANGHAI).date()


def _show(today):
    try:
        horizons = service.horizons(current_app.config, today)
        counts = service.due(current_app.config, today)
    except DomainError as error:
        raise click.ClickException(error.message % error.params)
    for h in horizons.values():
        click.echo(f"{h.kind}: kept {h.years} years; records dated before {h.keep_from} may be removed")
    for kind, n in counts.items():
        click.echo(f"  {kind} ({LABELS[kind]}): {n} past the period")
    return counts


@retention.command("report")
def report():
    """Show the periods and how many records are past them (changes nothing)."""
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
    click.echo("deleted: " + ", ".join(f"{k} {v}" for k, v in done.items()))
    if done != counts:
        click.echo("note: records changed between the count and the deletion")
