"""The State Council's holiday schedule by year, as the administrator entered it: statutory
holidays (放假日期, weekend days inside a holiday span included) and make-up working days
(调休上班日期). A year without a row here comes from the chinesecalendar package when it
knows the year, else it is a Monday–Friday estimate (app/services/calendar.py)."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

HOLIDAY = "holiday"
WORKDAY = "workday"


class CalendarYear(db.Model):
    """One row per year the administrator entered: who and when."""

    __tablename__ = "calendar_year"

    year = db.Column(db.Integer, primary_key=True, autoincrement=False)
    entered_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    entered_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))

    entered_by = db.relationship("User")


class CalendarDay(db.Model):
    """A day that differs from the plain Monday–Friday rule. The day is the key, so one
    date is never both a holiday and a make-up working day."""

    __tablename__ = "calendar_day"
    __table_args__ = (db.CheckConstraint(f"kind IN ('{HOLIDAY}', '{WORKDAY}')", name="kind"),)

    day = db.Column(db.Date, primary_key=True)
    year = db.Column(db.Integer, db.ForeignKey("calendar_year.year"), nullable=False, index=True)
    kind = db.Column(db.String(8), nullable=False)
