"""Personal information registration and the person's own bank card (API.md "Registration")."""
from flask import current_app, g
from flask_babel import gettext

from app.api import bp
from app.api.problems import ApiProblem
from app.api.registry import endpoint
from app.extensions import db
from app.forms.registration import ApiRegistrationForm, BankCardForm
from app.services import bankcard, registration as registrations
from app.services.uploads import DEFAULT_MAX_BYTES


def _own_person():
    person = g.api_user.person
    if person is None:  # staff accounts (admin, data center) have no personal record
        raise ApiProblem(404, gettext("当前账号没有个人信息"))
    return person


def registration_json(r) -> dict:
    body = {"id": r.id, "status": r.status, "expected_by": r.expected_by.isoformat(),
            "expected_by_is_estimate": registrations.expected_by_is_estimate(r),
            "submitted_at": r.submitted_at.isoformat()}
    if r.reason:
        body["reason"] = gettext(r.reason)
    return body


@endpoint(bp, "/me/registration", "POST", summary="Submit the caller's personal information registration",
          tag="registration", form=ApiRegistrationForm, body="multipart",
          responses={201: {"status": "string", "expected_by": "string"}, 404: None, 409: None, 422: None})
def submit_registration(form):
    person = _own_person()
    registration = registrations.submit(
        person, form.name.data, form.id_number.data, form.phone.data or person.phone or g.api_user.phone,
        form.id_front.data.stream, form.id_back.data.stream, upload_folder=current_app.config["UPLOAD_FOLDER"],
        max_image_bytes=current_app.config.get("MAX_IMAGE_BYTES", DEFAULT_MAX_BYTES))
    return registration_json(registration), 201


@endpoint(bp, "/me/registration", "GET", summary="The caller's latest registration and its status",
          tag="registration",
          responses={200: {"status": "string", "reason": "string", "expected_by": "string"}, 404: None})
def get_registration():
    registration = registrations.current_registration(_own_person())
    if registration is None:
        raise ApiProblem(404, gettext("尚未进行个人信息登记"))
    return registration_json(registration)


@endpoint(bp, "/me/bank-card", "PUT", summary="Set the card the caller's wages are paid to", tag="registration",
          form=BankCardForm, responses={200: {"bank_name": "string", "card_number": "string"}, 404: None, 422: None})
def set_bank_card(form):
    person = _own_person()
    registrations.set_bank_card(person, form.bank_name.data, form.card_number.data, actor=g.api_user)
    db.session.commit()
    return {"bank_name": person.bank_name, "card_number": bankcard.mask_card_number(person.bank_card_number)}
