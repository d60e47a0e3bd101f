"""On site for the project's staff (DOMAIN §4–5): 【扫一扫】 with its purposes,
【确认退场】 from the roster, the printable 工地建设码 and the daily lists with their CSV.

Who may do what is the services' rule (site.is_site_staff, signin.is_officer,
site_records.scope); these views only choose what to offer, and the services check
again. The GC PM's settings (officers, the sign-in point) are in onsite_settings.py.
"""
import re
from datetime import date

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.forms.site import ExitForm, ScanForm
from app.models import Allocation, Person, Project
from app.services import construction_code, signin, site, site_records
from app.services.calendar import today_in_shanghai
from app.services.errors import DomainError
from app.web import allocation as common
from app.web.helpers import visible_or_404, page_of_list

bp = Blueprint("onsite", __name__, url_prefix="/projects/<int:pid>/site")

STAFF_PURPOSES = ("entry", "clock_in", "clock_out")
PURPOSE_LABELS = {"entry": _l("确认进场"), "clock_in": _l("上班打卡"), "clock_out": _l("下班打卡"),
                  "signin": _l("班前签到")}
KINDS = {"entries": _l("进场记录"), "attendance": _l("考勤记录"), "signins": _l("班前签到")}
# Days a list can be asked for: the service turns a day into UTC bounds, which overflow
# at the ends of the calendar; nothing on a construction site happened before 2000.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def scalable_svg(svg: str) -> str:
    """The QR SVG with a viewBox, so that CSS can size it to the screen (segno writes
    only width and height, and a stretched SVG without a viewBox is cropped, not scaled)."""
    return re.sub(r'^<svg width="(\d+)" height="(\d+)"', r'<svg width="\1" height="\2" viewBox="0 0 \1 \2"',
                  svg, count=1)


def project_or_404(pid: int) -> Project:
    """Project staff only: anyone else gets a 404, as on the other site pages."""
    return visible_or_404(Project, pid, "project.view")


def purposes_for(user, project) -> list[str]:
    """What the scanner offers: entry and attendance to the GC's site staff,
    班前签到 to the project's sign-in officers."""
    allowed = list(STAFF_PURPOSES) if site.is_site_staff(user, project) else []
    return allowed + (["signin"] if signin.is_officer(user, project.id) else [])


def actions_for(user, project) -> dict:
    """The on-site links and the exit checkboxes the project overview shows this user."""
    staff = site.is_site_staff(user, project)
    gc_pm = signin.is_gc_pm(user, project)
    who = site_records.scope(user, project)
    exitable = {}
    if staff:  # allocation id → person id, for the roster's 【确认退场】 checkboxes
        me = user.person.id if user.person is not None else None  # no box to exit oneself by a slip
        exitable = {a: p for a, p in db.session.execute(select(Allocation.id, Allocation.person_id).where(
            Allocation.project_id == project.id, Allocation.status.in_(site.ACCEPTED))).all() if p != me}
    return {"scan": staff, "signin": signin.is_officer(user, project.id), "exit": staff, "code": staff,
            "roles": gc_pm, "location": gc_pm, "records": who is None or bool(who), "exitable": exitable}


@bp.app_context_processor
def _onsite_helpers():
    return {"onsite_actions": lambda project: actions_for(current_user, project)}


# --- 【扫一扫】 ---------------------------------------------------------------------------------

@bp.route("/scan", methods=["GET", "POST"])
@login_required
def scan(pid: int):
    project = project_or_404(pid)
    allowed = purposes_for(current_user, project)
    if not allowed:
        abort(403)
    form = ScanForm()
    if form.validate_on_submit():
        if form.purpose.data == "entry":  # 确认进场项目 first; 【确认进场】 enters (onsite_entry.py)
            screen = onsite_entry.preview(project, form)
            if screen is not None:
                return screen
            return redirect(url_for(".scan", pid=pid, purpose="entry", scanned=1))
        _scan_once(project, form)
        return redirect(url_for(".scan", pid=pid, purpose=form.purpose.data, scanned=1))
    if request.method == "POST":
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    wanted = request.values.get("purpose")
    form.purpose.data = wanted if wanted in allowed else allowed[0]
    form.token.data = ""  # a code is used once: never put it back in the field
    return render_template("onsite/scan.html", project=project, form=form, purposes=allowed,
                           labels=PURPOSE_LABELS, scanned=request.args.get("scanned") == "1")


def _scan_once(project: Project, form: ScanForm) -> None:
    """Runs one scan and flashes its result: '张三已成功进入…', or why it was refused."""
    try:
        outcome = site.scan(current_user, project, form.token.data, form.purpose.data, form.lng.data,
                            form.lat.data, form.coord_system.data or "wgs84")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return
    message = gettext(outcome.message, name=outcome.person.name, project=project.name)
    flash(message, "success" if outcome.created else "info")


# --- 【确认退场】 -----------------------------------------------------------------------------

@bp.route("/exits", methods=["POST"])
@login_required
def exits(pid: int):
    """Posted from the roster's checkboxes; each person's result is flashed."""
    project = project_or_404(pid)
    if not site.is_site_staff(current_user, project):
        abort(403)
    back = redirect(url_for("site.overview", pid=pid))
    form = ExitForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "warning")
        return back
    try:
        results = site.exit_people(current_user, project, form.person_ids.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return back
    names = dict(db.session.execute(select(Person.id, Person.name)
                                    .where(Person.id.in_([r.person_id for r in results]))).all())
    done = "、".join(names.get(r.person_id, f"#{r.person_id}") for r in results if r.ok)
    if done:
        flash(gettext("退场成功：%(names)s", names=done), "success")
    for r in results[:20]:
        if not r.ok:
            flash(gettext("%(name)s：%(reason)s", name=names.get(r.person_id, f"#{r.person_id}"),
                          reason=gettext(r.detail)), "warning")
    return back


# --- 工地建设码 -------------------------------------------------------------------------------

@bp.route("/code")
@login_required
def site_code(pid: int):
    project = project_or_404(pid)
    if not site.is_site_staff(current_user, project):
        abort(403)
    token = construction_code.site_code(project)
    return render_template("onsite/site_code.html", project=project, token=token,
                           svg=scalable_svg(construction_code.qr_svg(token, scale=10)))


# --- daily lists --------------------------------------------------------------------------

def _scope_or_403(project: Project):
    """None (everyone) or the employers whose people the user may list; nobody → 403."""
    who = site_records.scope(current_user, project)
    if who is not None and not who:
        abort(403)
    return who


def parse_day(raw: str | None) -> date | None:
    """A YYYY-MM-DD day in the years lists can cover; None when it is not one."""
    if not raw or len(raw) != 10:  # fromisoformat also takes 20260101 and week dates
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def _rows(kind: str, project: Project, day: date, who) -> list[dict]:
    local = site_records.local
    if kind == "entries":
        return [{"name": a.person.name, "id_number": common.masked(a.person), "unit": a.enterprise.name,
                 "at": local(a.entered_at), "status": common.STATUS_LABELS.get(a.status, a.status)}
                for a in site_records.entries_on(project, day, who)]
    if kind == "attendance":
        return [{"name": r.person.name, "id_number": common.masked(r.person), "at": local(r.at),
                 "kind": site_records.KIND_LABELS.get(r.kind, r.kind),
                 "method": site_records.METHOD_LABELS.get(r.method, r.method)}
                for r in site_records.attendance_on(project, day, who)]
    return [{"name": s.person.name, "id_number": common.masked(s.person), "at": local(s.signed_at),
             "method": site_records.METHOD_LABELS.get(s.method, s.method), "officer": s.officer.name,
             "distance": s.distance_m} for s in site_records.signins_on(project, day, who)]


@bp.route("/records")
@login_required
def records(pid: int):
    project = project_or_404(pid)
    who = _scope_or_403(project)
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else "entries"
    raw = request.args.get("date")
    day = parse_day(raw)
    if day is None:
        if raw:
            flash(gettext("日期“%(raw)s”无效，已显示今天的记录（日期格式应为 YYYY-MM-DD）", raw=raw[:20]), "warning")
        day = today_in_shanghai()
    page = page_of_list(_rows(kind, project, day, who), request.args.get("page", 1, type=int),
                    current_app.config["PAGE_SIZE"])
    return render_template("onsite/records.html", project=project, kind=kind, kinds=KINDS, day=day, page=page,
                           partial=who is not None)


@bp.route("/records.csv")
@login_required
def records_csv(pid: int):
    project = project_or_404(pid)
    who = _scope_or_403(project)
    kind = request.args.get("kind", "entries")
    day = parse_day(request.args.get("date")) if request.args.get("date") else today_in_shanghai()
    if kind not in KINDS or day is None:
        message = gettext("日期格式应为 YYYY-MM-DD") if day is None else gettext("请选择要导出的记录：进场记录、考勤记录或班前签到")
        return render_template("error.html", status=400, message=message), 400
    body = site_records.csv_of(kind, project, day, who)
    filename = f"project-{project.id}-{kind}-{day.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


from app.web import onsite_entry  # noqa: E402  (确认进场项目 → 进场成功, nested here)

bp.register_blueprint(onsite_entry.bp)
