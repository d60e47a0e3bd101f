"""The data center's queue of registrations (大数据中心): 【批量处理】, and per item the full
ID number and both images (each view audited) with 【通过】 / 【不通过】."""
import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.extensions import db
from app.forms.registration import DecisionForm
from app.models import Registration
from app.models.people import REGISTRATION_STATUSES
from app.services import idcard, registration as registrations
from app.services.calendar import today_in_shanghai
from app.services.errors import DomainError, NotFound
from app.web.helpers import paginate, require, show_domain_error

bp = Blueprint("datacenter", __name__, url_prefix="/datacenter")

MIMETYPES = {".jpg": "image/jpeg", ".png": "image/png"}


def _status_counts() -> dict:
    rows = db.session.execute(select(Registration.status, func.count()).group_by(Registration.status)).all()
    return {status: 0 for status in REGISTRATION_STATUSES} | dict(rows)


@bp.route("/")
@login_required
def queue():
    require("registration.process")
    status = request.args.get("status", "submitted")
    if status not in REGISTRATION_STATUSES:
        status = "submitted"
    page = paginate(registrations.registrations_with_status(status))
    today = today_in_shanghai()
    return render_template("datacenter/queue.html", page=page, status=status, counts=_status_counts(),
                           today=today, mask=idcard.mask_id_number,
                           is_estimate=registrations.expected_by_is_estimate)


@bp.route("/batch", methods=["POST"])
@login_required
def batch():
    """【批量处理】: the same batch the nightly job runs, now (CSRF checked globally)."""
    require("registration.process")
    counts = registrations.process_batch(current_user, upload_folder=current_app.config["UPLOAD_FOLDER"])
    flash(gettext("批量处理完成：通过%(verified)d条，未通过%(rejected)d条，跳过%(skipped)d条。", **counts),
          "success")
    if counts["failed"]:
        flash(gettext("%(failed)d条登记处理出错，仍为待处理，将在下次批量处理时重试。", failed=counts["failed"]), "warning")
    return redirect(url_for(".queue"))


def _registration_or_404(rid: int) -> Registration:
    registration = db.session.get(Registration, rid)
    if registration is None:
        abort(404)
    return registration


@bp.route("/registrations/<int:rid>", methods=["GET", "POST"])
@login_required
def detail(rid: int):
    require("registration.process")
    registration = _registration_or_404(rid)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            if form.decision.data == "verify":
                registrations.verify(current_user, registration, current_app.config["UPLOAD_FOLDER"])
            else:
                registrations.reject(current_user, registration, form.reason.data)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("已通过。") if form.decision.data == "verify" else gettext("已设为不通过。"), "success")
            return redirect(url_for(".queue"))
    full_number = registrations.view_full_id_number(current_user, registration)
    db.session.commit()  # the audit entry of this view
    return render_template("datacenter/detail.html", registration=registration, full_number=full_number,
                           form=form, overdue=registrations.is_overdue(registration),
                           estimate=registrations.expected_by_is_estimate(registration))


@bp.route("/registrations/<int:rid>/image/<side>")
@login_required
def image(rid: int, side: str):
    """One ID-card image for a permitted viewer: audited, never cached, 404 for anyone else."""
    try:
        path = registrations.view_id_image(current_user, db.session.get(Registration, rid), side,
                                           current_app.config["UPLOAD_FOLDER"])
    except (NotFound, ValueError):
        db.session.rollback()
        abort(404)
    if not os.path.isfile(path):
        db.session.rollback()
        abort(404)
    db.session.commit()  # the view is on record before a byte leaves
    response = send_file(path, mimetype=MIMETYPES.get(os.path.splitext(path)[1], "application/octet-stream"),
                         conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
