"""Employment (用工): an enterprise's hire of a person, from the consent request on."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

# withdrawn: an administrator terminated the hire's consent flow before it ended.
EMPLOYMENT_STATUSES = ("pending_consent", "pending_registration", "active", "resigning", "dismissing",
                       "ended", "declined", "expired", "withdrawn")
OPEN_STATUSES = ("pending_consent", "pending_registration", "active", "resigning", "dismissing")
IDENTITIES = ("worker", "manager")  # 建筑工人 / 管理人员

_OPEN = "status IN ('pending_consent', 'pending_registration', 'active', 'resigning', 'dismissing')"


class Employment(db.Model):
    __tablename__ = "employment"
    __table_args__ = (
        # A person has at most one open employment, whoever races to create a second.
        db.Index("uq_employment_open_person", "person_id", unique=True,
                 postgresql_where=db.text(_OPEN), sqlite_where=db.text(_OPEN)),
        db.Index("ix_employment_enterprise_status", "enterprise_id", "status"),
    )

    id = db.Column(db.Integer, primary_key=True)
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False)
    status = db.Column(db.String(24), nullable=False, default="pending_consent")
    identity = db.Column(db.String(16))           # worker | manager, at 聘用登记
    job_type = db.Column(db.String(8))            # national trade code, e.g. "010"
    contract_start = db.Column(db.Date)
    wage_standard_fen = db.Column(db.BigInteger)  # money in fen
    requested_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    requested_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    started_at = db.Column(UTCDateTime)
    ended_at = db.Column(UTCDateTime)
    end_reason = db.Column(db.String(255))
    process_instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"))

    person = db.relationship("Person")
    enterprise = db.relationship("Enterprise")
