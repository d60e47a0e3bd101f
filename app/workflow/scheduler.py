"""One scheduler process: the timer poller every few seconds, plus the periodic jobs
later parts register (e.g. the data center's registration batch)."""
import logging
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    func: object  # called inside an app context
    trigger: str
    options: dict


JOBS: list[Job] = []
# A missed run (the process was down) still runs, once, when it comes back.
JOB_OPTIONS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def register_job(job_id: str, func, trigger: str = "interval", **options) -> None:
    JOBS[:] = [j for j in JOBS if j.id != job_id] + [Job(job_id, func, trigger, options)]


def build(app, scheduler_class=BlockingScheduler) -> BlockingScheduler:
    from app.workflow.timers import fire_due

    scheduler = scheduler_class(timezone="UTC")

    def in_context(func):
        def run():
            with app.app_context():
                try:
                    func()
                except Exception:  # a failing job must not stop the scheduler
                    log.exception("scheduled job failed")
        return run

    scheduler.add_job(in_context(fire_due), "interval", id="timers",
                      seconds=app.config.get("TIMER_POLL_SECONDS", 5), **JOB_OPTIONS)
    for job in JOBS:
        scheduler.add_job(in_context(job.func), job.trigger, id=job.id, **{**JOB_OPTIONS, **job.options})
    return scheduler
