"""`flask timers fire-due` and `flask scheduler run`."""
import click
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
    click.echo("scheduler running (Ctrl+C to stop)")
    try:
        scheduler_module.build(current_app._get_current_object()).start()
    except (KeyboardInterrupt, SystemExit):
        pass
