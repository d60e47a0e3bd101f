"""`flask registrations process`: run the data center batch now. Importing this module
(create_app does, through app.cli) also schedules the batch daily at 02:00 UTC
(10:00 in Shanghai) for `flask scheduler run`; a 02:00 missed while no scheduler ran
runs once when one starts."""
import logging

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from app.services import registration
from app.workflow.scheduler import register_job

log = logging.getLogger(__name__)

registrations = AppGroup("registrations", help="Personal information registrations.")


def run_batch() -> dict:
    """The scheduled job; runs inside an app context."""
    counts = registration.process_batch(upload_folder=current_app.config["UPLOAD_FOLDER"])
    log.info("registration batch: %s", counts)
    return counts


def nightly() -> str:
    """The scheduled run; what it returns is shown on the monitor beside the run."""
    counts = run_batch()
    return (f"通过 {counts['verified']}，退回 {counts['rejected']}，"
            f"他人已处理 {counts['skipped']}，未能处理 {counts['failed']}（下次再试）")


register_job("registration_batch", nightly, "cron", hour=2, minute=0, title=_l("个人信息登记夜间核验"))


@registrations.command("process")
def process():
    """Verify or reject every submitted registration now."""
    counts = run_batch()
    click.echo(", ".join(f"{key}: {value}" for key, value in counts.items()))
