"""The last run of each periodic job the scheduler runs (app/workflow/job_runs.py). The
schedule stays with the job's registration; this row only says which due time was
last claimed, so a scheduler that was down runs a missed time once when it comes back
and two schedulers never run one due time twice."""
from app.extensions import db
from app.models.types import UTCDateTime


class JobRun(db.Model):
    """One row per periodic job: its last claimed run."""

    __tablename__ = "job_run"
    __table_args__ = (db.CheckConstraint("outcome IN ('ok', 'failed')", name="outcome"),)

    job_id = db.Column(db.String(64), primary_key=True)  # the id it was registered with
    due_at = db.Column(UTCDateTime)  # the schedule's time this run stands for
    started_at = db.Column(UTCDateTime)
    finished_at = db.Column(UTCDateTime)  # empty while it runs, or if its process died
    outcome = db.Column(db.String(8))  # ok | failed, once finished
    note = db.Column(db.String(500))  # what the run says it did, for the administrator
