"""Natural persons: the workers and managers the system is about, and their
personal information registrations (个人信息登记)."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

REGISTRATION_STATUSES = ("submitted", "verified", "rejected")


class Person(db.Model):
    """A person who signed up; the ID number is theirs once a registration is verified.

    One account per person: wages go to the person's own card, so identities never merge.
    """

    __tablename__ = "person"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), unique=True)
    name = db.Column(db.String(64), nullable=False)
    phone = db.Column(db.String(16))
    id_number = db.Column(db.String(18), unique=True)  # set from the verified registration
    bank_name = db.Column(db.String(64))
    bank_card_number = db.Column(db.String(19))
    bank_card_updated_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", back_populates="person")


class Registration(db.Model):
    """One submission of name, ID number, phone and both ID-card images; the data
    center verifies or rejects it. The images live outside the web root."""

    __tablename__ = "registration"
    __table_args__ = (
        db.Index("ix_registration_status_submitted", "status", "submitted_at"),
        # One registration awaiting the data center per person, however fast they tap twice.
        db.Index("uq_registration_pending_person", "person_id", unique=True,
                 postgresql_where=db.text("status = 'submitted'"), sqlite_where=db.text("status = 'submitted'")),
    )

    id = db.Column(db.Integer, primary_key=True)
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False, index=True)
    name = db.Column(db.String(64), nullable=False)
    id_number = db.Column(db.String(18), nullable=False, index=True)
    phone = db.Column(db.String(16), nullable=False)
    front_image = db.Column(db.String(255), nullable=False)  # 国徽面, a path under UPLOAD_FOLDER
    back_image = db.Column(db.String(255), nullable=False)   # 人像面
    status = db.Column(db.String(16), nullable=False, default="submitted")
    reason = db.Column(db.String(255))
    submitted_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expected_by = db.Column(db.Date, nullable=False)
    processed_at = db.Column(UTCDateTime)
    processed_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))  # None: the automated batch

    person = db.relationship("Person")
