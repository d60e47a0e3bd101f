"""`flask outbox deliver` and `flask outbox redeliver --batch BATCH_NO`. Importing this
module (create_app does, through app.cli) also schedules the delivery every few seconds
for `flask scheduler run`: what is pending leaves without anyone waiting on it."""
import logging

import click
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import BankBatch
from app.services import bank_push, outbox as service
from app.services.errors import DomainError
from app.workflow.scheduler import register_job

log = logging.getLogger(__name__)

DELIVERY_SECONDS = 10  # how often the scheduler looks; each message waits for its own next try

outbox = AppGroup("outbox", help="Messages to the outside world: bank pushes, SMS.")


def deliver_due() -> service.Outcome:
    """The scheduled job; runs inside an app context."""
    outcome = service.deliver_due()
    if outcome.tried:
        log.info("outbox: %d delivered, %d to try again, %d failed", outcome.delivered, outcome.retrying,
                 outcome.failed)
    return outcome


register_job("outbox_delivery", deliver_due, "interval", seconds=DELIVERY_SECONDS, title=_l("推送银行等外发消息"))


def _said(outcome: service.Outcome) -> str:
    return f"delivered {outcome.delivered}, to try again {outcome.retrying}, failed {outcome.failed}"


@outbox.command("deliver")
def deliver():
    """Deliver every pending message that is due, one try each, then exit."""
    outcome = deliver_due()
    click.echo(_said(outcome))
    for error in outcome.errors:
        click.echo(f"  not delivered: {error}")


@outbox.command("redeliver")
@click.option("--batch", "batch_no", required=True, help="The bank exchange batch number (银行交换批次号).")
@click.option("--reason", default="redelivered by the operator", show_default=True,
              help="Why, for the audit log (e.g. the outbox folder was lost).")
def redeliver(batch_no: str, reason: str):
    """Push a batch's stored transfer file and signed PDF again, now: e.g. after the
    outbox folder was lost, or when the bank says it never got them."""
    batch = db.session.scalar(select(BankBatch).where(BankBatch.batch_no == batch_no.strip()))
    if batch is None:
        raise click.ClickException(f"no bank batch {batch_no!r}")
    try:
        message = bank_push.redeliver(None, batch, reason)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message % error.params if error.params else error.message) from None
    outcome = service.deliver_due(only=message.id)
    click.echo(f"{batch.batch_no} ({message.message_id}): {_said(outcome)}")
    if not outcome.delivered:
        for error in outcome.errors:
            click.echo(f"  not delivered: {error}")
        raise click.ClickException("not delivered now: the scheduler keeps trying (see `flask outbox deliver`)")
