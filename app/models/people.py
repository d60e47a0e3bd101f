"""Natural persons: the workers and managers the system is about."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Person(db.Model):
    """A person who signed up; the ID number arrives with the registration.

    One account per person: wages go to the person's own card, so identities never merge.
    """

    __tablename__ = "person"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), unique=True)
    name = db.Column(db.String(64), nullable=False)
    phone = db.Column(db.String(16))
    id_number = db.Column(db.String(18), unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", back_populates="person")
