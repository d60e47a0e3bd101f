"""Process definitions, instances, their history, the inbox and timers."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

INSTANCE_STATUSES = ("running", "waiting", "suspended", "error", "completed", "terminated")
TASK_STATUSES = ("open", "suspended", "completed", "withdrawn")


class ProcessDefinition(db.Model):
    """One deployed version of one BPMN process; never changed once written."""

    __tablename__ = "process_definition"
    __table_args__ = (db.UniqueConstraint("key", "version"), db.UniqueConstraint("key", "content_hash"))

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(64), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(128))
    bpmn_xml = db.deferred(db.Column(db.Text, nullable=False))  # read only when a spec is parsed
    content_hash = db.Column(db.String(64), nullable=False)
    source = db.Column(db.String(128), nullable=False)  # file name, or "deploy"
    deployed_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    deployed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"
    __table_args__ = (db.Index("ix_process_instance_key_status", "process_key", "status"),)

    id = db.Column(db.Integer, primary_key=True)
    definition_id = db.Column(db.Integer, db.ForeignKey("process_definition.id"), nullable=False)
    process_key = db.Column(db.String(64), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="running")
    subject = db.Column(db.JSON, nullable=False, default=dict)
    subject_text = db.Column(db.String(255))  # the subject in words, for inbox rows and search
    state = db.Column(db.Text)  # SpiffWorkflow JSON, spec stored by reference
    # What the instance waits for, as last saved: {"timer": iso|None, "messages": [names]};
    # the timer and message-wait rows are touched only when this changes.
    waiting_for = db.Column(db.JSON)
    error_message = db.Column(db.Text)
    pending_action = db.Column(db.JSON)  # what to retry after an error
    started_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    completed_at = db.Column(UTCDateTime)
    lock_version = db.Column(db.Integer, nullable=False)

    definition = db.relationship("ProcessDefinition")
    started_by = db.relationship("User", foreign_keys=[started_by_id])
    __mapper_args__ = {"version_id_col": lock_version}


class ProcessEvent(db.Model):
    """Append-only history of an instance, but for its start, completed tasks and end,
    which its own rows hold (app/workflow/history.py)."""

    __tablename__ = "process_event"

    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)  # the monitor reads recent events
    kind = db.Column(db.String(24), nullable=False)
    task_key = db.Column(db.String(64))
    actor_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    detail = db.Column(db.JSON)

    actor = db.relationship("User")


class HumanTask(db.Model):
    """A READY user task, as the inbox sees it. Candidates are a rule, not a list:
    a user, or a lane role in an enterprise and/or project scope."""

    __tablename__ = "human_task"
    __table_args__ = (
        db.Index("ix_human_task_user_inbox", "status", "candidate_user_id", "created_at"),
        db.Index("ix_human_task_role_inbox", "status", "candidate_role", "candidate_enterprise_id",
                 "candidate_project_id", "created_at"),
        db.Index("ix_human_task_completed_at", "completed_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"), nullable=False, index=True)
    spiff_task_id = db.Column(db.String(36), nullable=False)
    process_key = db.Column(db.String(64), nullable=False)
    task_key = db.Column(db.String(64), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    form_key = db.Column(db.String(64))
    subject = db.Column(db.JSON, nullable=False, default=dict)
    subject_text = db.Column(db.String(255))
    lane = db.Column(db.String(64))
    candidate_role = db.Column(db.String(32))
    candidate_enterprise_id = db.Column(db.Integer)
    candidate_project_id = db.Column(db.Integer)
    candidate_user_id = db.Column(db.Integer)
    candidate_excluded_user_id = db.Column(db.Integer)  # one holder of the role who may not act (four eyes)
    claimed_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    # 'suspended' while the instance is suspended or in error: out of every inbox
    status = db.Column(db.String(16), nullable=False, default="open")
    due_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    completed_at = db.Column(UTCDateTime)
    completed_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    # the form as submitted: the history's "task_completed" is this row (app/workflow/history.py)
    completed_data = db.Column(db.JSON)

    instance = db.relationship("ProcessInstance")
    claimed_by = db.relationship("User", foreign_keys=[claimed_by_id])
    completed_by = db.relationship("User", foreign_keys=[completed_by_id])


class WorkflowTimer(db.Model):
    """The earliest waiting timer deadline of an instance; the poller wakes only these."""

    __tablename__ = "workflow_timer"

    instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"), primary_key=True)
    due_at = db.Column(UTCDateTime, nullable=False, index=True)


class MessageWait(db.Model):
    """A message an instance is waiting for, so thrown messages find their catchers by index."""

    __tablename__ = "workflow_message_wait"

    instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"), primary_key=True)
    message_name = db.Column(db.String(128), primary_key=True)
