"""The audit log: append-only, one row per state change or view of personal data."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"
    __table_args__ = (db.Index("ix_audit_entry_record", "record_type", "record_id"),)

    # On PostgreSQL partitioned by UTC month of `at`, keyed there by (id, at): migration 0019
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), index=True)
    action = db.Column(db.String(64), nullable=False)
    record_type = db.Column(db.String(32), nullable=False)
    record_id = db.Column(db.String(64), nullable=False)
    reason = db.Column(db.String(500))
    details = db.Column(db.JSON)

    actor = db.relationship("User")
