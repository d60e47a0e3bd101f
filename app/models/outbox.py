"""The transactional outbox: one row per message to the outside world, written in the
same transaction as the business change that calls for it, delivered later by the
scheduler (app/services/outbox.py). A channel (``bank``, later ``sms``) says how it
travels and a kind (``payroll_push``, later a notice) what it is; the payload is the
exact bytes that leave, so a redelivery sends what was sent."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

MESSAGE_STATES = ("pending", "delivered", "failed")


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (db.Index("ix_outbox_message_due", "state", "next_attempt_at"),)

    id = db.Column(db.Integer, primary_key=True)
    # What the receiver de-duplicates by: for a bank push the pain.001 MsgId, which the
    # bank's receipts name (bank.message_id_for).
    message_id = db.Column(db.String(64), nullable=False, unique=True)
    channel = db.Column(db.String(16), nullable=False)  # bank | sms
    kind = db.Column(db.String(32), nullable=False)  # payroll_push | ...
    payload = db.deferred(db.Column(db.LargeBinary, nullable=False))  # the pain.001 XML, byte for byte
    # Small routing facts and references to documents stored elsewhere, each with its
    # SHA-256 so a delivery sends what was signed: {"batch_no", "pdf_sha256"} for a push.
    details = db.Column(db.JSON, nullable=False, default=dict)
    # The bank batch a push carries: a purged batch cannot leave its copy behind.
    bank_batch_id = db.Column(db.Integer, db.ForeignKey("bank_batch.id"), index=True)
    state = db.Column(db.String(16), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)  # since it was last queued
    next_attempt_at = db.Column(UTCDateTime)  # while pending
    # A deliverer's claim while it sends (compare-and-set); expires, so a crash strands nothing.
    claim_token = db.Column(db.String(32))
    claimed_until = db.Column(UTCDateTime)
    last_attempt_at = db.Column(UTCDateTime)
    # The last failure as a sentence: a message id (N_) and its parameters, shown translated.
    last_error = db.Column(db.String(255))
    last_error_params = db.Column(db.JSON)
    reference = db.Column(db.String(64))  # what the receiver called it, when it said
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at = db.Column(UTCDateTime)  # the last delivery
