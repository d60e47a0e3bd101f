"""Enterprises (用人单位): general contractors and subcontractors alike."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Enterprise(db.Model):
    __tablename__ = "enterprise"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(128), nullable=False)
    uscc = db.Column(db.String(18), nullable=False, unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
