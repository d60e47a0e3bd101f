"""On-site test helpers: people confirmed on a project, its sign-in point, codes."""
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, Employment
from app.services import construction_code, geo, signin

# 人民广场 as a Chinese map (高德) shows it: GCJ-02.
SITE_GCJ02 = (121.475164, 31.228816)


def confirmed(project, person, status="confirmed", role="worker") -> Allocation:
    """The person's employer allocates them and every level confirms (the confirmation
    flow has its own tests): an Allocation in `status`."""
    employment = db.session.scalar(select(Employment).where(Employment.person_id == person.id,
                                                            Employment.status == "active"))
    allocation = Allocation(project_id=project.id, enterprise_id=employment.enterprise_id, person_id=person.id,
                            employment_id=employment.id, role=role, status=status, job_type=employment.job_type)
    db.session.add(allocation)
    db.session.commit()
    return allocation


def set_point(project, pm, radius_m=300, point=SITE_GCJ02):
    signin.set_location(pm, project, point[0], point[1], radius_m, geo.GCJ02)
    db.session.commit()


def site_wgs84(point=SITE_GCJ02):
    return geo.gcj02_to_wgs84(*point)


def code_of(person) -> str:
    return construction_code.issue_personal_code(person).token


def officer(s, person=None):
    """A GC worker confirmed on the project and appointed sign-in officer by the GC PM."""
    person = person or s.gc.workers[-1]
    confirmed(s.project, person)
    signin.appoint_officer(s.gc.pm, s.project, person.id)
    db.session.commit()
    return person
