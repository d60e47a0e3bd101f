"""Construction projects and the enterprises taking part in them."""
from app.extensions import db
from app.models.types import UTCDateTime, utcnow

GENERAL_CONTRACTOR = "general_contractor"
LABOR_SUBCONTRACTOR = "labor_subcontractor"
SPECIALIST_SUBCONTRACTOR = "specialist_subcontractor"
PARTICIPANT_KINDS = (GENERAL_CONTRACTOR, LABOR_SUBCONTRACTOR, SPECIALIST_SUBCONTRACTOR)


class Project(db.Model):
    __tablename__ = "project"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(128), nullable=False)
    address = db.Column(db.String(255), nullable=False)
    gc_enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False, index=True)
    # 农民工工资专用账户: wages leave only from this account.
    wage_bank_name = db.Column(db.String(64), nullable=False)
    wage_account_no = db.Column(db.String(32), nullable=False)
    wage_account_name = db.Column(db.String(128), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # 班前签到 point: as the PM typed it (GCJ-02 from a Chinese map, or WGS-84), and the
    # WGS-84 point phones are measured against.
    signin_lng = db.Column(db.Float)
    signin_lat = db.Column(db.Float)
    signin_coord_system = db.Column(db.String(8))
    signin_wgs84_lng = db.Column(db.Float)
    signin_wgs84_lat = db.Column(db.Float)
    signin_radius_m = db.Column(db.Integer)
    signin_set_at = db.Column(UTCDateTime)
    signin_set_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    # 结算日: "1".."28" or "month_end"; pay month M covers day D+1 of M−1 through day D of M.
    settlement_day = db.Column(db.String(9))

    gc_enterprise = db.relationship("Enterprise")
    participants = db.relationship("Participant", back_populates="project",
                                   order_by="Participant.id", lazy="selectin")


class Participant(db.Model):
    """An enterprise's part in a project; GC or subcontractor is a property of the
    participation, not of the enterprise."""

    __tablename__ = "participant"
    __table_args__ = (db.UniqueConstraint("project_id", "enterprise_id"),)

    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"), nullable=False, index=True)
    kind = db.Column(db.String(32), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    project = db.relationship("Project", back_populates="participants")
    enterprise = db.relationship("Enterprise")
