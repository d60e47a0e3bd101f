"""消息通知 for a person: what happened to them and where to act on it. Written in the
same transaction as the change it reports (app/services/notices.py `notify`)."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Notice(db.Model):
    __tablename__ = "notice"
    __table_args__ = (
        # The person's list, newest first, and the unread count.
        db.Index("ix_notice_person_created", "person_id", "created_at"),
        db.Index("ix_notice_person_read", "person_id", "read_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    kind = db.Column(db.String(32), nullable=False)  # a key of app/services/notices.py KINDS
    params = db.Column(db.JSON, nullable=False, default=dict)  # names and amounts the text is filled with
    link = db.Column(db.String(255))  # the URL path to act on, if any
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = db.Column(UTCDateTime)

    person = db.relationship("Person")
