"""`flask timers fire-due` and `flask scheduler run`."""
import time

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import current_app
from flask.cli import AppGroup

from app.workflow import definitions, scheduler as scheduler_module, timers as timers_module

timers = AppGroup("timers", help="Workflow timers.")
scheduler = AppGroup("scheduler", help="The scheduler process.")


@timers.command("fire-due")
def fire_due():
    """Fire every timer that is due now, once, then exit."""
    definitions.sync_once(current_app)
    click.echo(f"fired {timers_module.fire_due()} instance(s)")


@scheduler.command("run")
def run():
    """Run the timer poller and the periodic jobs until interrupted."""
    definitions.sync_once(current_app)
    running = scheduler_module.build(current_app._get_current_object(), BackgroundScheduler)
    click.echo("scheduler running (Ctrl+C to stop)")
    # The jobs run on the scheduler's own threads; this one only waits, so Ctrl+C is
    # raised here, never inside APScheduler (which would swallow it while submitting a job).
    try:
        running.start()
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        if running.running:
            running.shutdown()  # a job in progress finishes its transaction first
