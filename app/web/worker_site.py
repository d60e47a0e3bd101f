"""The worker's on-site pages, phone first (DOMAIN §4–5): the 个人建设码 with its
two-minute countdown, 【班前签到】 (inside the project's range, scan the officer's code)
and attendance by scanning the 工地建设码.

The pages measure the distance in the browser only to enable the button; the services
measure again from the position posted with the form.
"""
from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.forms.site import SiteCodeAttendanceForm, WorkerSignInForm
from app.models import Project, SignIn
from app.services import calendar, construction_code, geo, signin, site
from app.services.errors import DomainError
from app.web import worker_records
from app.web.onsite import scalable_svg

bp = Blueprint("worker_site", __name__, url_prefix="/me")

POSITION_FIELDS = ("lng", "lat", "coord_system")


def _own_person():
    person = current_user.person
    if person is None:  # staff accounts without a personal record have no code to show
        abort(404)
    return person


def _no_store(response):
    """A construction code names its holder: never kept in a cache."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _code_json(person) -> dict:
    code = construction_code.issue_personal_code(person)
    return {"token": code.token, "expires_at": code.expires_at.isoformat(),
            "seconds": construction_code.PERSONAL_CODE_SECONDS,
            "svg": scalable_svg(construction_code.qr_svg(code.token))}


# --- 个人建设码 -------------------------------------------------------------------------------

@bp.route("/code")
@login_required
def code():
    person = _own_person()
    return _no_store(render_template("worker/code.html", person=person, code=_code_json(person)))


@bp.route("/code.json")
@login_required
def code_json():
    """A fresh code for the page's countdown (the session authenticates it)."""
    return _no_store(jsonify(_code_json(_own_person())))


# --- 【班前签到】 ---------------------------------------------------------------------------------

def _flash_form_errors(form) -> None:
    """A missing or unusable position means location is off: say so, not 请填写经度."""
    if any(form.errors.get(name) for name in POSITION_FIELDS):
        flash(gettext(signin.POSITION_NEEDED), "danger")
    for name, errors in form.errors.items():
        if name not in POSITION_FIELDS:
            for message in errors:
                flash(str(message), "danger")


def _signed_today() -> dict[int, object]:
    """Today's (Shanghai) sign-ins of the worker, by project: when each was made."""
    return dict(db.session.execute(select(SignIn.project_id, SignIn.signed_at).where(
        SignIn.person_id == current_user.person.id, SignIn.work_date == calendar.today_in_shanghai())).all())


def _signin_projects() -> list[dict]:
    """The projects the worker may sign in on, with the point the page measures against
    and today's sign-in there, if any (the page then says 今日已签到, not 请点击签到)."""
    seen, rows, signed = set(), [], _signed_today()
    for allocation in signin.my_projects(current_user):
        project = allocation.project
        if project.id in seen:
            continue
        seen.add(project.id)
        has_point = project.signin_wgs84_lng is not None
        rows.append({"id": project.id, "name": project.name, "has_point": has_point,
                     "lng": project.signin_wgs84_lng, "lat": project.signin_wgs84_lat,
                     "radius": project.signin_radius_m if has_point else None,
                     "signed_at": _local_hm(signed.get(project.id))})
    return rows


def _local_hm(moment) -> str | None:
    return moment.astimezone(calendar.SHANGHAI).strftime("%H:%M") if moment is not None else None


@bp.route("/signin", methods=["GET", "POST"])
@login_required
def signin_page():
    person = _own_person()
    form = WorkerSignInForm()
    if form.validate_on_submit():
        if form.project_id.data not in {p["id"] for p in _signin_projects()}:
            flash(gettext(site.NOT_ON_PROJECT), "danger")
            return redirect(url_for(".signin_page"))
        try:
            record, created = signin.worker_sign_in(current_user, form.project_id.data, form.officer_token.data,
                                                    form.lng.data, form.lat.data, form.coord_system.data or geo.WGS84)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(gettext(error.message, **error.params), "danger")
        else:
            message = signin.SIGNED_IN if created else signin.ALREADY_SIGNED_IN
            flash(gettext(message, name=person.name), "success" if created else "info")
        return redirect(url_for(".signin_page", project_id=form.project_id.data))
    if request.method == "POST":
        _flash_form_errors(form)
        return redirect(url_for(".signin_page", project_id=request.form.get("project_id", type=int)))
    projects = _signin_projects()
    wanted = request.args.get("project_id", type=int)
    chosen = next((p for p in projects if p["id"] == wanted), projects[0] if projects else None)
    return render_template("worker/signin.html", form=form, projects=projects, chosen=chosen)


# --- 扫工地建设码考勤 --------------------------------------------------------------------------------

@bp.route("/attendance", methods=["GET", "POST"])
@login_required
def attendance():
    person = _own_person()
    form = SiteCodeAttendanceForm()
    if form.validate_on_submit():
        try:
            outcome = site.clock_by_site_code(current_user, form.site_token.data, form.kind.data, form.lng.data,
                                              form.lat.data, form.coord_system.data or geo.WGS84)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(gettext(error.message, **error.params), "danger")
        else:
            project = db.session.get(Project, outcome.record.project_id)
            flash(gettext(outcome.message, name=person.name, project=project.name),
                  "success" if outcome.created else "info")
        return redirect(url_for(".attendance", kind=form.kind.data))
    if request.method == "POST":
        _flash_form_errors(form)
        return redirect(url_for(".attendance"))
    if request.args.get("kind") in ("clock_in", "clock_out"):
        form.kind.data = request.args["kind"]
    form.site_token.data = ""
    month = worker_records.month_of(request.args.get("month"))
    return render_template("worker/attendance.html", form=form, month=month,
                           records=worker_records.records(person.id, month))
