"""Separation (DOMAIN §6–7): a person's resignation or an enterprise's dismissal of one
person, from request to its end. While one is pending the employment is resigning or
dismissing; the flow (processes/resignation.bpmn, dismissal.bpmn) decides how it ends."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

KINDS = ("resignation", "dismissal")
# pending → completed (the employment ended), or withdrawn (the person withdrew a
# resignation, or an administrator terminated the flow), declined (the person declined a dismissal), cancelled (the enterprise
# cancelled a dismissal).
STATUSES = ("pending", "completed", "withdrawn", "declined", "cancelled")

_PENDING = "status = 'pending'"


class Separation(db.Model):
    __tablename__ = "separation"
    __table_args__ = (
        # At most one pending separation per employment, whoever races to open a second.
        db.Index("uq_separation_pending_employment", "employment_id", unique=True,
                 postgresql_where=db.text(_PENDING), sqlite_where=db.text(_PENDING)),
        db.Index("ix_separation_enterprise_status", "enterprise_id", "status"),
    )

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="pending")
    employment_id = db.Column(db.Integer, db.ForeignKey("employment.id"), nullable=False)
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False)
    reason = db.Column(db.String(255), nullable=False)
    requested_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    requested_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at = db.Column(UTCDateTime)
    ended_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    completed_by = db.Column(db.String(16))  # enterprise | person: who ended a resignation
    response = db.Column(db.String(500))      # the person's reason for declining a dismissal
    process_instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"))

    employment = db.relationship("Employment")
    person = db.relationship("Person")
    enterprise = db.relationship("Enterprise")
