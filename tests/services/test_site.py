"""On site (DOMAIN §4–5) through the services: entry, attendance, exit, sign-in
officers, the sign-in point, and sign-ins in both directions."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attendance, AuditEntry, SignIn
from app.services import allocation, construction_code, geo, signin, site, site_records
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import staffing

MORNING = datetime(2026, 11, 23, 6, 45, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def s(world):
    return staffing(world, workers=3)


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(RuleViolation) as error:
        fn(*args, **kwargs)
    db.session.rollback()
    return error.value.message


# --- entry ---------------------------------------------------------------------------------

def test_entry_needs_a_confirmed_allocation(s):
    worker, pending, stranger = s.gc.workers
    confirmed(s.project, worker)
    confirmed(s.project, pending, status="pending_level1")
    assert refused(site.scan, s.gc.pm, s.project, code_of(stranger), "entry") == site.NOT_ON_PROJECT
    assert refused(site.scan, s.gc.pm, s.project, code_of(pending), "entry") == site.NOT_CONFIRMED

    outcome = site.scan(s.gc.pm, s.project, code_of(worker), "entry")
    db.session.commit()
    assert (outcome.result, outcome.person.id) == ("entered", worker.id)
    assert outcome.message % {"name": worker.name, "project": s.project.name} == f"{worker.name}已成功进入{s.project.name}"
    again = site.scan(s.gc.pm, s.project, code_of(worker), "entry")
    assert (again.result, again.created) == ("already_entered", False)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "site.entry")) == 1


def test_subcontractors_people_are_entered_by_the_gc_side_only(s):
    worker = s.sub.workers[0]
    confirmed(s.project, worker)
    with pytest.raises(Forbidden):
        site.scan(s.sub.pm, s.project, code_of(worker), "entry")
    assert site.scan(s.gc.pm, s.project, code_of(worker), "entry").result == "entered"


def test_a_gc_site_operator_may_scan_and_an_expired_code_is_refused(s, world):
    operator_person, worker = s.gc.workers[:2]
    confirmed(s.project, operator_person, role="site_operator")
    from app.services import roles
    roles.grant(operator_person.user, roles.SITE_OPERATOR, enterprise_id=s.gc.enterprise.id, project_id=s.project.id)
    confirmed(s.project, worker)
    db.session.commit()
    with time_machine.travel(MORNING, tick=False):
        token = code_of(worker)
    with time_machine.travel(MORNING + timedelta(seconds=121), tick=False):
        assert refused(site.scan, operator_person.user, s.project, token, "entry") == construction_code.CODE_EXPIRED
        assert site.scan(operator_person.user, s.project, code_of(worker), "entry").result == "entered"


# --- attendance ----------------------------------------------------------------------------

def test_attendance_needs_entry_and_a_repeat_within_minutes_is_the_first(s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    with time_machine.travel(MORNING, tick=False):
        assert refused(site.scan, s.gc.pm, s.project, code_of(worker), "clock_in") == site.NOT_ENTERED
        site.scan(s.gc.pm, s.project, code_of(worker), "entry")
        first = site.scan(s.gc.pm, s.project, code_of(worker), "clock_in")
        db.session.commit()
    with time_machine.travel(MORNING + timedelta(minutes=3), tick=False):
        repeat = site.scan(s.gc.pm, s.project, code_of(worker), "clock_in")
        assert (repeat.created, repeat.record.id) == (False, first.record.id)
    with time_machine.travel(MORNING + timedelta(hours=9), tick=False):
        site.scan(s.gc.pm, s.project, code_of(worker), "clock_out")
        db.session.commit()
    kinds = db.session.scalars(select(Attendance.kind).order_by(Attendance.at)).all()
    assert kinds == ["clock_in", "clock_out"]
    day = MORNING.date()
    assert [r.kind for r in site_records.attendance_on(s.project, day)] == ["clock_in", "clock_out"]


def test_site_code_attendance_inside_the_range_only(s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker, status="on_site")
    set_point(s.project, s.gc.pm)
    site_token = construction_code.site_code(s.project)
    lng, lat = site_wgs84()
    far = geo.offset_point(lng, lat, north_m=1200)
    assert refused(site.clock_by_site_code, worker.user, site_token, "clock_in", *far) == signin.OUT_OF_RANGE
    outcome = site.clock_by_site_code(worker.user, site_token, "clock_in", lng, lat)
    db.session.commit()
    assert (outcome.result, outcome.record.method) == ("clock_in", "site_code")


# --- exit ----------------------------------------------------------------------------------

def test_exit_frees_the_person_for_a_new_allocation_and_takes_back_project_roles(s):
    worker, other = s.gc.workers[:2]
    confirmed(s.project, worker, status="on_site")
    officer(s, other)
    results = site.exit_people(s.gc.pm, s.project, [worker.id, other.id, s.sub.workers[0].id])
    db.session.commit()
    assert [(r.person_id, r.ok, r.detail) for r in results] == [
        (worker.id, True, None), (other.id, True, None), (s.sub.workers[0].id, False, site.ALREADY_EXITED)]
    assert not signin.is_officer(other.user, s.project.id)
    [again] = allocation.allocate(s.gc.hr, s.project, [worker.id], "worker")
    assert again.ok, again.detail


def test_only_gc_site_staff_exit_people(s):
    worker = s.sub.workers[0]
    confirmed(s.project, worker, status="on_site")
    for user in (s.sub.pm, s.sub.hr, s.gc.hr):
        with pytest.raises(Forbidden):
            site.exit_people(user, s.project, [worker.id])


# --- the sign-in point -----------------------------------------------------------------------

def test_only_the_gc_pm_sets_the_point_and_bad_values_change_nothing(s):
    with pytest.raises(Forbidden):
        signin.set_location(s.sub.pm, s.project, 121.47, 31.23)
    assert refused(signin.set_location, s.gc.pm, s.project, 121.47, 31.23, 40) == signin.BAD_RADIUS
    assert refused(signin.set_location, s.gc.pm, s.project, 121.47, 31.23, 5001) == signin.BAD_RADIUS
    assert refused(signin.set_location, s.gc.pm, s.project, 181, 31.23) == signin.BAD_LNG
    assert refused(signin.set_location, s.gc.pm, s.project, 121.47, 31.23, 300, "bd09") == signin.BAD_COORD_SYSTEM
    assert s.project.signin_wgs84_lng is None
    point = signin.set_location(s.gc.pm, s.project, 121.475164, 31.228816)
    assert (point.radius_m, point.coord_system, point.outside_mainland) == (300, "gcj02", False)
    assert (s.project.signin_wgs84_lng, s.project.signin_wgs84_lat) == pytest.approx(site_wgs84())
    assert refused(signin.set_location, s.gc.pm, s.project, 31.228816, 121.475164) == signin.BAD_LAT  # swapped
    assert signin.set_location(s.gc.pm, s.project, 2.3522, 48.8566, 300, "wgs84").outside_mainland  # Paris


# --- sign-in -----------------------------------------------------------------------------------

def test_a_project_without_a_point_refuses_sign_in(s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    assert refused(site.scan, clerk.user, s.project, code_of(worker), "signin") == signin.NO_LOCATION
    lng, lat = site_wgs84()
    assert refused(signin.worker_sign_in, worker.user, s.project.id, code_of(clerk), lng, lat) == signin.NO_LOCATION


def test_geofence_ten_metres_inside_and_outside_with_the_gcj02_point_converted(s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    set_point(s.project, s.gc.pm, radius_m=300)
    lng, lat = site_wgs84()  # the GPS position of the point the PM typed from the map
    outside = geo.offset_point(lng, lat, north_m=310)
    assert refused(signin.worker_sign_in, worker.user, s.project.id, code_of(clerk), *outside) == signin.OUT_OF_RANGE
    # The typed GCJ-02 numbers taken as GPS would be ~500 m off: a phone at the site
    # itself must pass, and that needs the conversion.
    typed = (s.project.signin_lng, s.project.signin_lat)
    assert geo.distance_m(*typed, lng, lat) > 300
    record, created = signin.worker_sign_in(worker.user, s.project.id, code_of(clerk),
                                            *geo.offset_point(lng, lat, north_m=290))
    db.session.commit()
    assert created and 285 <= record.distance_m <= 295 and record.method == "worker_scan"
    assert record.officer_person_id == clerk.id


def test_one_sign_in_per_worker_per_day_in_either_direction(s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    set_point(s.project, s.gc.pm)
    lng, lat = site_wgs84()
    with time_machine.travel(MORNING, tick=False):
        first, created = signin.worker_sign_in(worker.user, s.project.id, code_of(clerk), lng, lat)
        db.session.commit()
        assert created
        second, created = signin.worker_sign_in(worker.user, s.project.id, code_of(clerk), lng, lat)
        assert (second.id, created) == (first.id, False)
        scanned = site.scan(clerk.user, s.project, code_of(worker), "signin", lng, lat)
        assert (scanned.result, scanned.record.id) == ("already_signed_in", first.id)
    with time_machine.travel(MORNING + timedelta(days=1), tick=False):
        next_day = site.scan(clerk.user, s.project, code_of(worker), "signin", lng, lat)
        db.session.commit()
        assert next_day.result == "signed_in" and next_day.record.method == "officer_scan"
    assert db.session.scalar(select(func.count()).select_from(SignIn)) == 2


def test_the_officer_scan_is_geofenced_too(s):
    """Direction B: the officer's own position is required and must be in range; a
    refusal records nothing."""
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    set_point(s.project, s.gc.pm)
    lng, lat = site_wgs84()
    assert refused(site.scan, clerk.user, s.project, code_of(worker), "signin") == signin.OFFICER_POSITION_NEEDED
    assert refused(site.scan, clerk.user, s.project, code_of(worker), "signin", lng, None) == \
        signin.OFFICER_POSITION_NEEDED
    far = geo.offset_point(lng, lat, east_m=5000)
    assert refused(site.scan, clerk.user, s.project, code_of(worker), "signin", *far) == signin.OUT_OF_RANGE
    assert db.session.scalar(select(func.count()).select_from(SignIn)) == 0
    outcome = site.scan(clerk.user, s.project, code_of(worker), "signin", *geo.offset_point(lng, lat, north_m=120))
    db.session.commit()
    assert outcome.result == "signed_in" and 115 <= outcome.record.distance_m <= 125


def test_sign_in_needs_an_officer_on_both_sides(s):
    worker, not_officer = s.gc.workers[:2]
    confirmed(s.project, worker)
    confirmed(s.project, not_officer)
    set_point(s.project, s.gc.pm)
    lng, lat = site_wgs84()
    assert refused(signin.worker_sign_in, worker.user, s.project.id, code_of(not_officer), lng,
                   lat) == signin.CODE_NOT_OFFICER
    with pytest.raises(Forbidden):
        site.scan(s.gc.pm, s.project, code_of(worker), "signin")  # the PM is not an officer
    with pytest.raises(NotFound):  # not on that project: as if it did not exist
        signin.worker_sign_in(s.sub.workers[0].user, s.project.id, code_of(not_officer), lng, lat)


def test_appointing_and_revoking_officers(s):
    member, pending = s.gc.workers[:2]
    confirmed(s.project, member)
    confirmed(s.project, pending, status="pending_gc")
    with pytest.raises(Forbidden):
        signin.appoint_officer(s.sub.pm, s.project, member.id)
    assert refused(signin.appoint_officer, s.gc.pm, s.project, pending.id) == signin.NOT_MEMBER
    assert refused(signin.appoint_officer, s.gc.pm, s.project, s.sub.workers[0].id) == signin.NOT_MEMBER
    signin.appoint_officer(s.gc.pm, s.project, member.id)
    db.session.commit()
    assert [p.id for p, _ in signin.officers(s.project)] == [member.id]
    with pytest.raises(Conflict):
        signin.appoint_officer(s.gc.pm, s.project, member.id)
    signin.revoke_officer(s.gc.pm, s.project, member.id)
    db.session.commit()
    assert signin.officers(s.project) == []
    with pytest.raises(NotFound):
        signin.revoke_officer(s.gc.pm, s.project, member.id)


def test_daily_lists_show_each_side_only_its_own_people(s, world):
    gc_worker, sub_worker = s.gc.workers[0], s.sub.workers[0]
    for person in (gc_worker, sub_worker):
        confirmed(s.project, person)
    clerk = officer(s)
    set_point(s.project, s.gc.pm)
    for person in (gc_worker, sub_worker):
        site.scan(clerk.user, s.project, code_of(person), "signin", *site_wgs84())
    db.session.commit()
    today = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=8))).date()
    everyone = {r.person_id for r in site_records.signins_on(s.project, today)}
    assert everyone == {gc_worker.id, sub_worker.id}
    assert site_records.scope(s.gc.hr, s.project) is None and site_records.scope(s.gc.pm, s.project) is None
    sub_scope = site_records.scope(s.sub.pm, s.project)
    assert {r.person_id for r in site_records.signins_on(s.project, today, sub_scope)} == {sub_worker.id}
    outsider = world.hr_admin(world.enterprise())
    assert site_records.scope(outsider, s.project) == set()
    csv_text = site_records.csv_of("signins", s.project, today, sub_scope)
    assert sub_worker.name in csv_text and gc_worker.name not in csv_text
    assert sub_worker.id_number not in csv_text  # masked
