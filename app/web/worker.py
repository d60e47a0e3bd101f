"""The worker's own pages, phone first: 个人信息登记 (notice → form → status) and the bank card."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.extensions import db
from app.forms.registration import BankCardForm, RegistrationForm
from app.services import bankcard, registration as registrations
from app.services.errors import DomainError
from app.services.uploads import DEFAULT_MAX_BYTES
from app.web.helpers import show_domain_error

bp = Blueprint("worker", __name__, url_prefix="/me")


def _own_person():
    person = current_user.person
    if person is None:  # staff accounts have no personal record to register
        abort(404)
    return person


def _may_register(latest) -> bool:
    # Again only after a refusal; a pending one must not be duplicated (FAQ 1).
    return latest is None or latest.status == "rejected"


@bp.route("/registration")
@login_required
def registration():
    """Status of the latest registration; the 填报须知 when the person may (re)register."""
    person = _own_person()
    latest = registrations.current_registration(person)
    return render_template("worker/registration.html", registration=latest, may_register=_may_register(latest),
                           estimate=bool(latest) and registrations.expected_by_is_estimate(latest))


@bp.route("/registration/new", methods=["GET", "POST"])
@login_required
def new_registration():
    """The form; reached through 【开始登记】 with the notice ticked."""
    person = _own_person()
    if not _may_register(registrations.current_registration(person)):
        return redirect(url_for(".registration"))
    form = RegistrationForm()
    if request.method == "GET":
        if request.args.get("agree_notice") != "y":
            flash(gettext("请先阅读并勾选填报须知"), "warning")
            return redirect(url_for(".registration"))
        form.agree_notice.data = True
        form.phone.data = person.phone
    elif form.validate_on_submit():
        try:
            registrations.submit(
                person, form.name.data, form.id_number.data, form.phone.data, form.id_front.data,
                form.id_back.data, upload_folder=current_app.config["UPLOAD_FOLDER"],
                max_image_bytes=current_app.config.get("MAX_IMAGE_BYTES", DEFAULT_MAX_BYTES))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("登记成功，一网通办大数据中心将在15个工作日内批量处理。"), "success")
            return redirect(url_for(".registration"))
    return render_template("worker/registration_form.html", form=form)


@bp.route("/bank-card", methods=["GET", "POST"])
@login_required
def bank_card():
    person = _own_person()
    form = BankCardForm()
    if form.validate_on_submit():
        try:
            registrations.set_bank_card(person, form.bank_name.data, form.card_number.data, actor=current_user)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("银行卡已保存。"), "success")
            return redirect(url_for(".bank_card"))
    masked = bankcard.mask_card_number(person.bank_card_number) if person.bank_card_number else None
    return render_template("worker/bank_card.html", form=form, person=person, masked_card=masked)
