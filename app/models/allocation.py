"""Allocation (分配项目): a person placed on a project by their employer, confirmed at
one or two levels; later entered on site and exited."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

# cancelled: an administrator terminated the confirmation flow before it ended.
ALLOCATION_STATUSES = ("pending_level1", "pending_gc", "confirmed", "on_site", "exited", "rejected", "cancelled")
OPEN_ALLOCATION = ("pending_level1", "pending_gc", "confirmed", "on_site")
ROLES = ("worker", "site_operator", "project_manager")  # 建筑工人 / 现场操作用户 / 项目经理

_OPEN = "status IN ('pending_level1', 'pending_gc', 'confirmed', 'on_site')"


class Allocation(db.Model):
    __tablename__ = "allocation"
    __table_args__ = (
        # A person is on at most one project at a time, whoever races to allocate.
        db.Index("uq_allocation_open_person", "person_id", unique=True,
                 postgresql_where=db.text(_OPEN), sqlite_where=db.text(_OPEN)),
        db.Index("ix_allocation_project_enterprise_status", "project_id", "enterprise_id", "status"),
    )

    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False)  # the allocating employer
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    employment_id = db.Column(db.Integer, db.ForeignKey("employment.id"), nullable=False)
    role = db.Column(db.String(24), nullable=False)
    job_type = db.Column(db.String(8))
    status = db.Column(db.String(24), nullable=False, default="pending_level1")
    allocated_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    allocated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    level1_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    level1_at = db.Column(UTCDateTime)
    level1_auto = db.Column(db.Boolean, nullable=False, default=False)  # the allocator was the approver
    gc_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    gc_at = db.Column(UTCDateTime)
    gc_auto = db.Column(db.Boolean, nullable=False, default=False)
    rejected_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    rejected_at = db.Column(UTCDateTime)
    rejected_reason = db.Column(db.String(255))
    entered_at = db.Column(UTCDateTime)
    entered_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    exited_at = db.Column(UTCDateTime)
    exited_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    exit_reason = db.Column(db.String(16))  # manual (【确认退场】), resignation, dismissal
    process_instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"))

    project = db.relationship("Project")
    enterprise = db.relationship("Enterprise")
    person = db.relationship("Person")
    employment = db.relationship("Employment")
