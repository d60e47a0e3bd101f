"""On site (API.md "On site", signin-location, signin-officers): the personal
construction code, scans, the worker's sign-in and site-code attendance, exits, the
sign-in point and officers, and the daily lists."""
import re
from datetime import date

from flask import g, request
from flask_babel import gettext

from app.api import bp
from app.api.lookup import visible
from app.api.problems import ApiProblem
from app.api.registry import TOKEN_IN_VIEW, endpoint, token_refused
from app.extensions import db
from app.forms.site import (ExitForm, OfficerForm, ScanForm, SigninLocationForm, SiteCodeAttendanceForm,
                            WorkerSignInForm)
from app.models import Project
from app.services import construction_code, signin, site, site_records
from app.services.calendar import today_in_shanghai
from app.services.errors import NotFound
from app.services.i18n import N_

NO_PERSON = N_("当前账号没有个人信息，请先完成个人信息登记")


def _me():
    person = g.api_user.person
    if person is None:
        raise NotFound(NO_PERSON)
    return person


def _project(pid: int) -> Project:
    return visible(Project, pid, "project.view")


def _outcome_json(outcome: site.Outcome, project) -> dict:
    return {"person_id": outcome.person.id, "name": outcome.person.name, "result": outcome.result,
            "message": gettext(outcome.message, name=outcome.person.name, project=project.name)}


@endpoint(bp, "/me/code", "GET", summary="个人建设码: the caller's personal construction code (valid 120 s)",
          tag="site", responses={200: {"token": "string", "expires_at": "string", "svg": "string"}, 404: None})
def my_code():
    code = construction_code.issue_personal_code(_me())
    return {"token": code.token, "expires_at": code.expires_at.isoformat(), "svg": construction_code.qr_svg(code.token)}


@endpoint(bp, "/projects/<int:pid>/scans", "POST",
          summary="【扫一扫】: entry, clock in/out (GC PM / GC site operator) or sign-in (sign-in officer)",
          tag="site", form=ScanForm,
          responses={200: {"person_id": "integer", "name": "string", "result": "string", "message": "string"},
                     403: None, 404: None, 422: None})
def scan(pid, form):
    project = _project(pid)
    outcome = site.scan(g.api_user, project, form.token.data, form.purpose.data, form.lng.data, form.lat.data,
                        form.coord_system.data or "wgs84")
    db.session.commit()
    return _outcome_json(outcome, project)


@endpoint(bp, "/me/signins", "POST", summary="【班前签到】 by the worker: scan the officer's code inside the range",
          tag="site", form=WorkerSignInForm, auth=TOKEN_IN_VIEW,
          responses={201: {"id": "integer", "signed_at": "string"}, 200: {"id": "integer", "signed_at": "string"},
                     404: None, 422: None})
def my_signin(form):
    try:
        record, created = signin.worker_sign_in_by_token(
            g.api_token, form.project_id.data, form.officer_token.data, form.lng.data, form.lat.data,
            form.coord_system.data or "wgs84")
    except signin.TokenRefused:
        raise token_refused() from None
    db.session.commit()
    return _signin_json(record), 201 if created else 200


@endpoint(bp, "/me/attendance", "POST", summary="Attendance by scanning the project's 工地建设码 with location on",
          tag="site", form=SiteCodeAttendanceForm,
          responses={201: {"result": "string"}, 200: {"result": "string"}, 404: None, 422: None})
def my_attendance(form):
    _me()
    outcome = site.clock_by_site_code(g.api_user, form.site_token.data, form.kind.data, form.lng.data,
                                      form.lat.data, form.coord_system.data or "wgs84")
    db.session.commit()
    record = outcome.record
    project = db.session.get(Project, record.project_id)
    return {"id": record.id, "project_id": record.project_id, "kind": record.kind, "at": record.at.isoformat(),
            "result": outcome.result, "message": gettext(outcome.message, name=outcome.person.name,
                                                         project=project.name)}, 201 if outcome.created else 200


@endpoint(bp, "/projects/<int:pid>/exits", "POST", summary="【确认退场】 for one or many (GC PM / GC site operator)",
          tag="site", form=ExitForm, responses={200: {"results": "array"}, 403: None, 404: None, 422: None})
def exits(pid, form):
    project = _project(pid)
    results = site.exit_people(g.api_user, project, form.person_ids.data)
    db.session.commit()
    return {"results": [{"person_id": r.person_id, "ok": r.ok, **({"detail": gettext(r.detail)} if r.detail else {})}
                        for r in results]}


@endpoint(bp, "/projects/<int:pid>/signin-location", "PUT",
          summary="【项目班前签到定位调整】→【手动录入坐标】 (the project's GC PM)", tag="site", form=SigninLocationForm,
          responses={200: {"lng": "number", "lat": "number", "radius_m": "integer", "coord_system": "string",
                           "outside_mainland": "boolean"}, 403: None, 404: None, 422: None})
def set_signin_location(pid, form):
    project = _project(pid)
    point = signin.set_location(g.api_user, project, form.lng.data, form.lat.data,
                                form.radius_m.data or signin.DEFAULT_RADIUS_M, form.coord_system.data or "gcj02")
    db.session.commit()
    body = {"lng": point.lng, "lat": point.lat, "radius_m": point.radius_m, "coord_system": point.coord_system,
            "outside_mainland": point.outside_mainland}
    if point.outside_mainland:
        body["warning"] = gettext("该坐标不在中国大陆范围内，请确认经纬度是否填反或有误")
    return body


@endpoint(bp, "/projects/<int:pid>/signin-location", "GET", summary="The project's sign-in point",
          tag="site", responses={200: {"lng": "number", "lat": "number", "radius_m": "integer"}, 404: None})
def get_signin_location(pid):
    project = _project(pid)
    return {"lng": project.signin_lng, "lat": project.signin_lat, "coord_system": project.signin_coord_system,
            "radius_m": project.signin_radius_m, "wgs84": None if project.signin_wgs84_lng is None else
            {"lng": project.signin_wgs84_lng, "lat": project.signin_wgs84_lat}}


def _officer_json(person, allocation) -> dict:
    return {"person_id": person.id, "name": person.name,
            "enterprise_id": allocation.enterprise_id if allocation else None}


@endpoint(bp, "/projects/<int:pid>/signin-officers", "POST",
          summary="【项目角色授权管理】→【添加授权】 班前签到员 (GC PM); the person must be confirmed on the project",
          tag="site", form=OfficerForm,
          responses={201: {"person_id": "integer", "name": "string"}, 403: None, 404: None, 409: None, 422: None})
def appoint_officer(pid, form):
    project = _project(pid)
    allocation = signin.appoint_officer(g.api_user, project, form.person_id.data)
    db.session.commit()
    return _officer_json(allocation.person, allocation), 201


@endpoint(bp, "/projects/<int:pid>/signin-officers", "GET", summary="The project's sign-in officers",
          tag="site", responses={200: {"items": "array"}, 404: None})
def list_officers(pid):
    project = _project(pid)
    return {"items": [_officer_json(p, a) for p, a in signin.officers(project)]}


@endpoint(bp, "/projects/<int:pid>/signin-officers/<int:person_id>", "DELETE",
          summary="Revoke a sign-in officer (GC PM)", tag="site", responses={200: None, 403: None, 404: None})
def revoke_officer(pid, person_id):
    project = _project(pid)
    signin.revoke_officer(g.api_user, project, person_id)
    db.session.commit()
    return {"person_id": person_id, "revoked": True}


def _day() -> date:
    raw = request.args.get("date")
    if not raw:
        return today_in_shanghai()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):  # fromisoformat also takes 20261122, 2026-W47-1
            raise ValueError(raw)
        day = date.fromisoformat(raw)
        if not 2000 <= day.year <= 2099:  # the day's UTC bounds must stay representable
            raise ValueError(raw)
        return day
    except ValueError:
        raise ApiProblem(400, gettext("日期格式应为 YYYY-MM-DD"), errors={"date": gettext("日期格式应为 YYYY-MM-DD")}) from None


def _scope(project):
    who = site_records.scope(g.api_user, project)
    if who is not None and not who:
        raise ApiProblem(403, gettext("无权查看本项目的现场记录"))
    return who


def _signin_json(s) -> dict:
    return {"id": s.id, "person_id": s.person_id, "project_id": s.project_id, "work_date": s.work_date.isoformat(),
            "signed_at": s.signed_at.isoformat(), "method": s.method, "officer_person_id": s.officer_person_id,
            "distance_m": s.distance_m}


@endpoint(bp, "/projects/<int:pid>/signins", "GET", summary="The day's pre-shift sign-ins (project staff)",
          tag="site", query=("date",), responses={200: {"items": "array"}, 400: None, 403: None, 404: None})
def list_signins(pid):
    project = _project(pid)
    day = _day()
    return {"date": day.isoformat(), "items": [
        {**_signin_json(s), "name": s.person.name} for s in site_records.signins_on(project, day, _scope(project))]}


@endpoint(bp, "/projects/<int:pid>/attendance", "GET", summary="The day's attendance punches (project staff)",
          tag="site", query=("date",), responses={200: {"items": "array"}, 400: None, 403: None, 404: None})
def list_attendance(pid):
    project = _project(pid)
    day = _day()
    return {"date": day.isoformat(), "items": [
        {"id": r.id, "person_id": r.person_id, "name": r.person.name, "kind": r.kind, "method": r.method,
         "at": r.at.isoformat()} for r in site_records.attendance_on(project, day, _scope(project))]}


@endpoint(bp, "/projects/<int:pid>/entries", "GET", summary="The day's entries (project staff)",
          tag="site", query=("date",), responses={200: {"items": "array"}, 400: None, 403: None, 404: None})
def list_entries(pid):
    project = _project(pid)
    day = _day()
    return {"date": day.isoformat(), "items": [
        {"allocation_id": a.id, "person_id": a.person_id, "name": a.person.name, "enterprise_id": a.enterprise_id,
         "entered_at": a.entered_at.isoformat(), "status": a.status}
        for a in site_records.entries_on(project, day, _scope(project))]}


@endpoint(bp, "/projects/<int:pid>/site-code", "GET", summary="The project's 工地建设码 (GC site staff)",
          tag="site", responses={200: {"token": "string", "svg": "string"}, 403: None, 404: None})
def project_site_code(pid):
    project = _project(pid)
    site.require_site_staff(g.api_user, project)
    token = construction_code.site_code(project)
    return {"token": token, "svg": construction_code.qr_svg(token)}
