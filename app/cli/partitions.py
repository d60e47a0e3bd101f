"""`flask partitions show` and `flask partitions make-ahead`: the monthly partitions of
sign-ins, attendance and the audit log on PostgreSQL (SQLite has none). Importing this
module also schedules making them ahead daily at 03:00 in Shanghai for `flask scheduler
run`; a run missed while no scheduler ran happens when one starts."""
from datetime import datetime, timezone

import click
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from app.extensions import on_postgresql
from app.services import partitions as service
from app.services.idcard import SHANGHAI
from app.workflow.scheduler import register_job

partitions = AppGroup("partitions", help="Monthly partitions of sign-ins, attendance and the audit log (PostgreSQL).")


def _today():
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


def ahead() -> str:
    """The daily job; what it returns is shown on the monitor beside the run."""
    if not on_postgresql():
        return "SQLite 数据库不分区"
    made = service.make_ahead(_today())
    return "新建分区：" + "，".join(made) if made else f"本月及以后 {service.AHEAD} 个月的分区均已建好"


register_job("partitions_ahead", ahead, "cron", hour=19, minute=0, title=_l("提前建立按月分区"))


@partitions.command("make-ahead")
@click.option("--months", default=service.AHEAD, show_default=True, help="Months after the current one.")
def make_ahead(months: int):
    """Make any missing partition from this month to MONTHS ahead."""
    if not on_postgresql():
        click.echo("SQLite: tables are not partitioned")
        return
    made = service.make_ahead(_today(), months)
    click.echo("made: " + ", ".join(made) if made else "nothing to make")


@partitions.command("show")
def show():
    """List each table's partitions with their estimated rows."""
    if not on_postgresql():
        click.echo("SQLite: tables are not partitioned")
        return
    for table in service.KEYS:
        click.echo(f"{table}:")
        for p in service.partitions(table):
            rows = "not analysed yet" if p.rows is None else f"about {p.rows} rows"
            click.echo(f"  {p.name}: {rows}")
