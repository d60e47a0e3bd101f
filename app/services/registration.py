"""Personal information registration (个人信息登记, DOMAIN §1) and the person's bank card.

A person submits name, ID number, phone and both ID-card images; the data center
verifies submissions in batches (a scheduled job and the 【批量处理】 button) or one by
one. A verified registration gives the person their ID number, which hiring relies on.
"""
import logging
from datetime import date

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Person, Registration
from app.models.types import utcnow
from app.services import access, audit, bankcard, idcard, mobile, notices, uploads
from app.services.calendar import SHANGHAI, add_working_days, is_estimate, today_in_shanghai
from app.services.errors import Conflict, DomainError, Forbidden, NotFound, RuleViolation
from app.services.i18n import N_

log = logging.getLogger(__name__)

PROCESSING_DAYS = 15  # the manual's promise: 15 working days
MIN_AGE = 16  # the minimum working age (劳动法 §15)
SIDES = {"front": "front_image", "back": "back_image"}  # 国徽面 / 人像面

ALREADY_SUBMITTED = N_("您的登记信息已提交，正在等待大数据中心批量处理，无需重复登记")
ALREADY_VERIFIED = N_("您已完成个人信息登记")
ID_TAKEN = N_("该身份证号码已被他人登记")
NO_NAME = N_("请填写姓名")
UNDER_AGE = N_("未满16周岁，不能进行实名登记")
FRONT_UNREADABLE = N_("身份证国徽面图片无法识别")
BACK_UNREADABLE = N_("身份证人像面图片无法识别")
NOT_PENDING = N_("该登记已处理，不能重复处理")
REASON_REQUIRED = N_("请填写不通过的原因")
BANK_NAME_REQUIRED = N_("请填写开户银行")
NOT_YOUR_CARD = N_("只能设置本人的银行卡")
IMAGES_NOT_IN_STORAGE = N_("身份证图片暂时无法读取，请联系系统管理员检查图片存储后再处理")


class ImagesNotInStorage(DomainError):
    """This process cannot open a registration's stored images: its UPLOAD_FOLDER is not
    the shared folder the web servers store into, or the storage is not mounted. Never
    the person's fault, so never a rejection: the registration waits (503)."""

    status = 503

    def __init__(self, missing: list):
        super().__init__(IMAGES_NOT_IN_STORAGE)
        self.missing = missing


def _folder(upload_folder: str | None) -> str:
    # Callers inside a request or the CLI may leave it to the app's configuration.
    return upload_folder or current_app.config["UPLOAD_FOLDER"]


def current_registration(person) -> Registration | None:
    """The person's latest registration, whatever its status."""
    return db.session.scalar(select(Registration).where(Registration.person_id == person.id)
                             .order_by(Registration.submitted_at.desc(), Registration.id.desc()).limit(1))


def _id_owner(id_number: str, person_id: int):
    """Another person who already holds this ID number, if any."""
    return db.session.scalar(select(Person.id).where(Person.id_number == id_number, Person.id != person_id))


def _normalized(normalizer, raw, field: str) -> str:
    try:
        return normalizer(raw)
    except ValueError as error:
        raise RuleViolation(str(error), field=field) from None


def _refuse_repeat(person, id_number: str) -> None:
    latest = current_registration(person)
    if person.id_number or (latest is not None and latest.status == "verified"):
        raise Conflict(ALREADY_VERIFIED)
    if latest is not None and latest.status == "submitted":
        raise Conflict(ALREADY_SUBMITTED)
    if _id_owner(id_number, person.id):
        raise RuleViolation(ID_TAKEN, field="id_number")


def submit(person, name, id_number, phone, front_file, back_file, *, upload_folder=None,
           max_image_bytes: int = uploads.DEFAULT_MAX_BYTES) -> Registration:
    """Checks, stores both images and commits. This service owns its transaction because
    the files live outside the database: if the commit fails they are removed again."""
    folder = _folder(upload_folder)
    name = (name or "").strip()
    if not name:
        raise RuleViolation(NO_NAME, field="name")
    id_number = _normalized(idcard.normalize_id_number, id_number, "id_number")
    phone = _normalized(mobile.normalize_mobile, phone, "phone")
    # Locks and re-reads the person: two submissions (a double tap) queue up on PostgreSQL.
    db.session.refresh(person, with_for_update=True)
    _refuse_repeat(person, id_number)
    stored = []
    try:
        stored.append(uploads.store_id_image(folder, front_file, "id_front", max_image_bytes))
        stored.append(uploads.store_id_image(folder, back_file, "id_back", max_image_bytes))
        registration = Registration(
            person=person, name=name, id_number=id_number, phone=phone, front_image=stored[0],
            back_image=stored[1], status="submitted",
            expected_by=add_working_days(today_in_shanghai(), PROCESSING_DAYS))
        db.session.add(registration)
        db.session.flush()
        audit.record(person.user, "registration.submit", "registration", registration.id,
                     id_number=idcard.mask_id_number(id_number))
        db.session.commit()
    except IntegrityError:  # a second submission won the race (the unique pending index)
        db.session.rollback()
        for path in stored:
            uploads.delete_stored(folder, path)
        raise Conflict(ALREADY_SUBMITTED) from None
    except BaseException:
        db.session.rollback()
        for path in stored:
            uploads.delete_stored(folder, path)
        raise
    return registration


def _require_in_storage(upload_folder: str, registration) -> None:
    """Both images can be opened here; whether they decode is the person's matter."""
    missing = []
    for relative in (registration.front_image, registration.back_image):
        try:
            with open(uploads.resolve(upload_folder, relative), "rb"):
                pass
        except OSError:  # absent, or not ours to read: the storage, not the upload
            missing.append(relative)
        except ValueError:  # a path outside the folder: left to is_readable, which refuses it
            pass
    if missing:
        raise ImagesNotInStorage(missing)


def rejection_reason(registration, upload_folder: str, on) -> str | None:
    """Why the registration cannot be verified on date `on`, or None (a msgid).
    ImagesNotInStorage when its images cannot be opened here: no decision either way."""
    if not (registration.name or "").strip():
        return NO_NAME
    try:
        idcard.normalize_id_number(registration.id_number)
        if idcard.age_on(registration.id_number, on) < MIN_AGE:
            return UNDER_AGE
    except ValueError as error:
        return str(error)
    _require_in_storage(upload_folder, registration)
    if not uploads.is_readable(upload_folder, registration.front_image):
        return FRONT_UNREADABLE
    if not uploads.is_readable(upload_folder, registration.back_image):
        return BACK_UNREADABLE
    if _id_owner(registration.id_number, registration.person_id):
        return ID_TAKEN
    return None


def _decide(actor, registration, status: str, reason: str | None, via: str) -> None:
    """Compare-and-set from submitted, so the batch and an operator never both decide."""
    result = db.session.execute(
        update(Registration).where(Registration.id == registration.id, Registration.status == "submitted")
        .values(status=status, reason=reason, processed_at=utcnow(), processed_by_id=getattr(actor, "id", None)))
    if result.rowcount != 1:
        raise Conflict(NOT_PENDING)
    if status == "verified":
        person = registration.person
        person.id_number, person.name = registration.id_number, registration.name
        db.session.flush()
    action = "registration.verify" if status == "verified" else "registration.reject"
    audit.record(actor, action, "registration", registration.id, reason=reason, via=via)
    if status == "verified":
        notices.notify(registration.person_id, "registration_verified")
    else:
        notices.notify(registration.person_id, "registration_rejected", reason=reason)


def _require_processor(actor) -> None:
    if not access.may(actor, "registration.process"):
        raise Forbidden(N_("无权处理个人信息登记"))


def _require_pending(registration) -> None:
    if registration.status != "submitted":
        raise Conflict(NOT_PENDING)


def verify(actor, registration, upload_folder=None) -> None:
    """The data center's 【通过】: still refused when an automatic check fails."""
    _require_processor(actor)
    _require_pending(registration)
    reason = rejection_reason(registration, _folder(upload_folder), today_in_shanghai())
    if reason:
        raise RuleViolation(reason)
    try:
        _decide(actor, registration, "verified", None, via="operator")
    except IntegrityError:  # another person was verified with this number meanwhile
        db.session.rollback()
        raise RuleViolation(ID_TAKEN) from None


def reject(actor, registration, reason: str) -> None:
    """The data center's 【不通过】 with the reason the person will read."""
    _require_processor(actor)
    _require_pending(registration)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(REASON_REQUIRED, field="reason")
    _decide(actor, registration, "rejected", reason[:255], via="operator")


def _process_one(registration_id: int, actor, folder: str, today) -> str:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != "submitted":
        return "skipped"
    reason = rejection_reason(registration, folder, today)
    status = "rejected" if reason else "verified"
    _decide(actor, registration, status, reason, via="batch")
    return status


def process_batch(actor=None, upload_folder=None) -> dict:
    """Decides every submitted registration, one transaction each, so one failure
    (or a race with an operator) costs only that registration. actor None = the job.
    Counts: verified, rejected, skipped (decided meanwhile by someone else), failed."""
    folder, today = _folder(upload_folder), today_in_shanghai()
    counts = {"verified": 0, "rejected": 0, "skipped": 0, "failed": 0}
    ids = db.session.scalars(select(Registration.id).where(Registration.status == "submitted")
                             .order_by(Registration.submitted_at, Registration.id)).all()
    for registration_id in ids:
        try:
            outcome = _process_one(registration_id, actor, folder, today)
            db.session.commit()
        except Conflict:  # an operator decided it while we were checking
            db.session.rollback()
            outcome = "skipped"
        except ImagesNotInStorage as absent:
            db.session.rollback()
            log.error("registration %s not processed: %s not found in UPLOAD_FOLDER %s — every process, the "
                      "scheduler included, needs the shared upload folder (docs/operations.md §2)",
                      registration_id, ", ".join(absent.missing), folder)
            outcome = "failed"
        except Exception:  # noqa: BLE001 — logged; the others still get processed
            db.session.rollback()
            log.exception("registration %s not processed", registration_id)
            outcome = "failed"  # stays submitted: the next run tries again
        counts[outcome] += 1
    return counts


def registrations_with_status(status: str):
    """A select() for the data center's queue: oldest submissions first."""
    query = select(Registration).where(Registration.status == status)
    if status == "submitted":
        return query.order_by(Registration.submitted_at, Registration.id)
    return query.order_by(Registration.processed_at.desc(), Registration.id.desc())


def is_overdue(registration, today=None) -> bool:
    return registration.status == "submitted" and registration.expected_by < (today or today_in_shanghai())


def submitted_day(registration) -> date:
    """The Shanghai calendar day the 15 working days are counted from."""
    return registration.submitted_at.astimezone(SHANGHAI).date()


def expected_by_is_estimate(registration) -> bool:
    """预计: some year between submission and the expected date has no known schedule."""
    return is_estimate(registration.expected_by, since=submitted_day(registration))


def reschedule_pending(actor, year: int) -> int:
    """After the administrator entered a year: counts the expected date again for every
    pending registration whose 15 working days run through that year (it may have been a
    Monday–Friday estimate). Audited per registration; the caller commits. Returns how
    many moved."""
    moved = 0
    pending = db.session.scalars(select(Registration).where(
        Registration.status == "submitted", Registration.expected_by >= date(year, 1, 1))).all()
    for registration in pending:
        start = submitted_day(registration)
        if start.year > year:
            continue  # counted after that year: unaffected
        previous, expected_by = registration.expected_by, add_working_days(start, PROCESSING_DAYS)
        if expected_by == previous:
            continue
        # Compare-and-set: a registration the batch decided meanwhile keeps its record as it was.
        result = db.session.execute(update(Registration).where(
            Registration.id == registration.id, Registration.status == "submitted").values(expected_by=expected_by))
        if result.rowcount == 1:
            audit.record(actor, "registration.reschedule", "registration", registration.id, year=year,
                         previous=previous.isoformat(), expected_by=expected_by.isoformat())
            moved += 1
    return moved


def _require_viewer(actor, registration) -> None:
    # Not permitted looks like absent: nobody learns whose registrations exist.
    if registration is None or not access.may(actor, "registration.view_personal_data", registration):
        raise NotFound(N_("记录不存在或无权查看"))


def view_id_image(actor, registration, side: str, upload_folder=None) -> str:
    """Absolute path of one ID-card image, after an audit entry (the caller commits)."""
    _require_viewer(actor, registration)
    if side not in SIDES:
        raise NotFound(N_("记录不存在或无权查看"))
    path = uploads.resolve(_folder(upload_folder), getattr(registration, SIDES[side]))
    audit.record(actor, "personal_data.view_id_image", "registration", registration.id, side=side)
    return path


def view_full_id_number(actor, registration) -> str:
    """The unmasked ID number, after an audit entry (the caller commits)."""
    _require_viewer(actor, registration)
    audit.record(actor, "personal_data.view_id_number", "registration", registration.id)
    return registration.id_number


def set_bank_card(person, bank_name: str, card_number: str, actor=None) -> None:
    """The card wages are paid to: set only by the person themself (the caller commits)."""
    if actor is not None and person.user_id != actor.id:
        raise Forbidden(NOT_YOUR_CARD)
    bank_name = (bank_name or "").strip()
    if not bank_name:
        raise RuleViolation(BANK_NAME_REQUIRED, field="bank_name")
    number = _normalized(bankcard.normalize_card_number, card_number, "card_number")
    person.bank_name, person.bank_card_number = bank_name[:64], number
    person.bank_card_updated_at = utcnow()
    audit.record(actor or person.user, "person.set_bank_card", "person", person.id,
                 card=bankcard.mask_card_number(number))
