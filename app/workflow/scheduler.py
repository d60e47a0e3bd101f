"""One scheduler process: the timer poller every few seconds, plus the periodic jobs
later parts register (e.g. the data center's registration batch).

A periodic job's schedule lives here, with its registration; its last run lives in the
database (app/workflow/job_runs.py). Every periodic job also runs once as the
scheduler starts, and that run goes ahead only if its latest due time was missed."""
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    func: object  # called inside an app context
    trigger: str
    options: dict  # the trigger's fields, and any of APScheduler's JOB_OPTION_NAMES
    title: object = None  # what the administrator reads (a lazy msgid); the id if None


JOBS: list[Job] = []
# Within one process's lifetime a late run still runs, once.
JOB_OPTIONS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
JOB_OPTION_NAMES = {"misfire_grace_time", "coalesce", "max_instances", "name", "next_run_time"}
TRIGGERS = {"cron": CronTrigger, "interval": IntervalTrigger, "date": DateTrigger}
# Intervals count from one fixed moment, so every scheduler names the same due times.
INTERVAL_START = datetime(2000, 1, 1, tzinfo=timezone.utc)


def register_job(job_id: str, func, trigger: str = "interval", *, title=None, **options) -> None:
    JOBS[:] = [j for j in JOBS if j.id != job_id] + [Job(job_id, func, trigger, options, title)]


def make_trigger(job: Job):
    fields = {k: v for k, v in job.options.items() if k not in JOB_OPTION_NAMES}
    if job.trigger == "interval":
        fields.setdefault("start_date", INTERVAL_START)
    return TRIGGERS[job.trigger](timezone=timezone.utc, **fields)


def build(app, scheduler_class=BlockingScheduler) -> BlockingScheduler:
    from app.models.types import utcnow
    from app.workflow.job_runs import run_if_due
    from app.workflow.timers import fire_due

    scheduler = scheduler_class(timezone="UTC")

    def in_context(func):
        def run():
            with app.app_context():
                try:
                    return func()  # a periodic job's: whether it ran (tests read it)
                except Exception:  # a failing job must not stop the scheduler
                    log.exception("scheduled job failed")
        return run

    scheduler.add_job(in_context(fire_due), "interval", id="timers",
                      seconds=app.config.get("TIMER_POLL_SECONDS", 5), **JOB_OPTIONS)
    started = utcnow()
    for job in JOBS:
        trigger = make_trigger(job)
        options = {k: v for k, v in job.options.items() if k in JOB_OPTION_NAMES}
        # The first run at start catches up a due time missed while no scheduler ran.
        scheduler.add_job(in_context(partial(run_if_due, job.id, job.func, trigger)), trigger, id=job.id,
                          **{**JOB_OPTIONS, "next_run_time": started, **options})
    return scheduler
