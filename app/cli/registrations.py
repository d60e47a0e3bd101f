"""`flask registrations process`: run the data center batch now. Importing this module
(create_app does, through app.cli) also schedules the batch daily at 02:00 UTC
(10:00 in Shanghai) for `flask scheduler run`."""
import logging

import click
from flask import current_app
from flask.cli import AppGroup

from app.services import registration
from app.workflow.scheduler import register_job

log = logging.getLogger(__name__)

registrations = AppGroup("registrations", help="Personal information registrations.")


def run_batch() -> dict:
    """The scheduled job; runs inside an app context."""
    counts = registration.process_batch(upload_folder=current_app.config["UPLOAD_FOLDER"])
    log.info("registration batch: %s", counts)
    return counts


register_job("registration_batch", run_batch, "cron", hour=2, minute=0)


@registrations.command("process")
def process():
    """Verify or reject every submitted registration now."""
    counts = run_batch()
    click.echo(", ".join(f"{key}: {value}" for key, value in counts.items()))
