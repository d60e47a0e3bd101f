"""On site (DOMAIN §4–5): attendance punches and pre-shift sign-ins. Entry and exit
are moments of the allocation itself (entered_at / exited_at)."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

ATTENDANCE_KINDS = ("clock_in", "clock_out")          # 上班打卡 / 下班打卡
ATTENDANCE_METHODS = ("scan", "site_code")            # scanned by site staff / the worker scanned the 工地建设码
SIGNIN_METHODS = ("officer_scan", "worker_scan")      # the officer scanned the worker / the worker scanned the officer


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (
        db.Index("ix_attendance_project_date", "project_id", "work_date"),
        db.Index("ix_attendance_person_at", "person_id", "at"),
    )

    # On PostgreSQL partitioned by month of work_date, keyed there by (id, work_date): migration 0019
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    allocation_id = db.Column(db.Integer, db.ForeignKey("allocation.id"), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False)  # the employer
    kind = db.Column(db.String(16), nullable=False)
    method = db.Column(db.String(16), nullable=False)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    work_date = db.Column(db.Date, nullable=False)  # in Asia/Shanghai
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    lng = db.Column(db.Float)  # WGS-84, when the worker scanned with location on
    lat = db.Column(db.Float)

    person = db.relationship("Person")


class SignIn(db.Model):
    """班前签到: one per worker per project per day; payroll counts these."""

    __tablename__ = "signin"
    __table_args__ = (
        db.UniqueConstraint("project_id", "person_id", "work_date"),
        db.Index("ix_signin_project_date", "project_id", "work_date"),
        db.Index("ix_signin_enterprise_date", "enterprise_id", "work_date"),
    )

    # On PostgreSQL partitioned by month of work_date, keyed there by (id, work_date): migration 0019
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    allocation_id = db.Column(db.Integer, db.ForeignKey("allocation.id"), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False)  # the employer
    work_date = db.Column(db.Date, nullable=False)  # in Asia/Shanghai
    signed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    method = db.Column(db.String(16), nullable=False)
    officer_person_id = db.Column(db.Integer, db.ForeignKey("person.id"), nullable=False)
    lng = db.Column(db.Float)  # WGS-84 position of the phone that was used, when known
    lat = db.Column(db.Float)
    distance_m = db.Column(db.Integer)  # from the project's sign-in point

    person = db.relationship("Person", foreign_keys=[person_id])
    officer = db.relationship("Person", foreign_keys=[officer_person_id])
