"""Registration rules: intake of the images, refusals, the batch, per-item decisions,
audited views of personal data, the bank card."""
import io
import os
import stat
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditEntry, Employment, Registration
from app.services import registration as reg
from app.services import roles
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from tests.support.identifiers import make_card_number, make_id_number
from tests.support.images import make_id_image

SEP_28_2026 = datetime(2026, 9, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, a Monday


def stored_files(app) -> list[str]:
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "registrations")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def submit(app, person, *, name="王建国", id_number=None, phone="13912345678", front=None, back=None, **kw):
    return reg.submit(person, name, id_number or make_id_number(seq=person.id), phone,
                      io.BytesIO(front if front is not None else make_id_image("PNG")),
                      io.BytesIO(back if back is not None else make_id_image("JPEG")),
                      upload_folder=app.config["UPLOAD_FOLDER"], **kw)


def batch(app, actor=None):
    return reg.process_batch(actor, upload_folder=app.config["UPLOAD_FOLDER"])


def test_submit_stores_both_images_privately_and_the_batch_verifies(app, world):
    person = world.user().person
    number = make_id_number(birth=date(1985, 6, 1), seq=11)
    assert number.endswith("X")
    registration = submit(app, person, id_number=number.lower())  # normalised to X
    assert registration.status == "submitted" and registration.id_number == number
    files = stored_files(app)
    assert len(files) == 2 and {f.rsplit(".", 1)[1] for f in files} == {"png", "jpg"}
    for name in files:
        mode = os.stat(os.path.join(app.config["UPLOAD_FOLDER"], "registrations", name)).st_mode
        assert stat.S_IMODE(mode) == 0o600
    assert registration.front_image.startswith("registrations/")
    assert batch(app) == {"verified": 1, "rejected": 0, "skipped": 0, "failed": 0}
    db.session.refresh(person)
    assert person.id_number == number and person.name == "王建国"
    assert reg.current_registration(person).status == "verified"
    verify_entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.verify"))
    assert verify_entry.actor_id is None and verify_entry.details["via"] == "batch"
    assert count(AuditEntry, AuditEntry.action == "registration.submit") == 1


def test_expected_date_is_fifteen_working_days_across_national_day(app, world):
    with time_machine.travel(SEP_28_2026, tick=False):
        registration = submit(app, world.user().person)
    assert registration.expected_by == date(2026, 10, 23)  # Sat 10 Oct (调休) counted


def test_a_pending_registration_cannot_be_repeated(app, world):
    person = world.user().person
    submit(app, person)
    with pytest.raises(Conflict) as refused:
        submit(app, person)
    assert refused.value.status == 409
    assert refused.value.message == "您的登记信息已提交，正在等待大数据中心批量处理，无需重复登记"
    assert count(Registration) == 1 and len(stored_files(app)) == 2


def test_a_verified_person_cannot_register_again(app, world):
    person = world.user().person
    submit(app, person)
    batch(app)
    with pytest.raises(Conflict) as refused:
        submit(app, person)
    assert refused.value.message == "您已完成个人信息登记"


def test_an_id_number_verified_for_someone_else_is_refused(app, world):
    first, second = world.user().person, world.user().person
    number = make_id_number(seq=500)
    submit(app, first, id_number=number)
    batch(app)
    with pytest.raises(RuleViolation) as refused:
        submit(app, second, id_number=number)
    assert refused.value.field == "id_number" and refused.value.message == "该身份证号码已被他人登记"


def test_two_pending_with_one_number_the_batch_verifies_only_the_first(app, world):
    first, second = world.user().person, world.user().person
    number = make_id_number(seq=501)
    submit(app, first, id_number=number)
    submit(app, second, id_number=number)
    assert batch(app) == {"verified": 1, "rejected": 1, "skipped": 0, "failed": 0}
    assert reg.current_registration(second).reason == "该身份证号码已被他人登记"
    db.session.refresh(second)
    assert second.id_number is None


@pytest.mark.parametrize("birth, status", [(date(2010, 9, 29), "rejected"), (date(2010, 9, 28), "verified")])
def test_the_batch_requires_sixteen_years_on_the_processing_day(app, world, birth, status):
    person = world.user().person
    with time_machine.travel(SEP_28_2026, tick=False):
        submit(app, person, id_number=make_id_number(birth=birth, seq=7))
        batch(app)
    registration = reg.current_registration(person)
    assert registration.status == status
    if status == "rejected":
        assert registration.reason == "未满16周岁，不能进行实名登记"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.reject"))
        assert entry.reason == "未满16周岁，不能进行实名登记" and entry.actor_id is None


@pytest.mark.parametrize("front, message", [
    (b"this is a text file, not a photo", "图片无法识别，请重新拍摄上传"),
    (make_id_image("GIF"), "请上传JPG或PNG格式的图片"),
    (make_id_image("PNG")[:200], "图片无法识别，请重新拍摄上传"),
    (make_id_image("JPEG")[:600], "图片无法识别，请重新拍摄上传"),
    (make_id_image("PNG", size=(60, 40)), "图片尺寸过小，请拍摄清晰完整的身份证"),
    (make_id_image("BMP"), "请上传JPG或PNG格式的图片"),
    (b"", "请上传身份证图片"),
])
def test_bad_images_are_refused_and_nothing_is_stored(app, world, front, message):
    person = world.user().person
    with pytest.raises(RuleViolation) as refused:
        submit(app, person, front=front)
    assert refused.value.field == "id_front" and refused.value.message == message
    assert stored_files(app) == [] and count(Registration) == 0


def test_a_bad_second_image_removes_the_first(app, world):
    with pytest.raises(RuleViolation) as refused:
        submit(app, world.user().person, back=b"GIF89a not really")
    assert refused.value.field == "id_back"
    assert stored_files(app) == [] and count(Registration) == 0


def test_too_large_is_refused_before_decoding(app, world):
    person = world.user().person
    oversized = b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024)
    with pytest.raises(RuleViolation) as refused:
        submit(app, person, front=oversized)
    assert refused.value.message == "图片大小不能超过5MB"
    with pytest.raises(RuleViolation):
        submit(app, person, back=make_id_image("PNG"), max_image_bytes=1000)
    assert stored_files(app) == [] and count(Registration) == 0


def test_a_failing_commit_removes_the_stored_images(app, world, monkeypatch):
    person = world.user().person

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        submit(app, person)
    monkeypatch.undo()
    assert stored_files(app) == [] and count(Registration) == 0


def test_the_batch_rejects_an_image_that_no_longer_decodes(app, world):
    registration = submit(app, world.user().person)
    with open(os.path.join(app.config["UPLOAD_FOLDER"], registration.front_image), "wb") as damaged:
        damaged.write(b"garbage")
    assert batch(app)["rejected"] == 1
    assert reg.current_registration(registration.person).reason == "身份证国徽面图片无法识别"


def test_images_this_process_cannot_find_are_never_a_rejection(app, world, tmp_path, caplog):
    """A scheduler with its own instance folder instead of the shared UPLOAD_FOLDER (issue 18):
    the registration waits, the error names the folder, and the right folder verifies it."""
    registration = submit(app, world.user().person)
    own_folder = tmp_path / "scheduler-instance" / "uploads"
    own_folder.mkdir(parents=True)
    caplog.set_level("ERROR", logger="app.services.registration")
    counts = reg.process_batch(upload_folder=str(own_folder))
    assert counts == {"verified": 0, "rejected": 0, "skipped": 0, "failed": 1}
    db.session.expire_all()
    assert (registration.status, registration.reason) == ("submitted", None)
    assert count(AuditEntry, AuditEntry.action.like("registration.%")) == 1  # the submission only
    [logged] = [r.getMessage() for r in caplog.records]
    assert registration.front_image in logged and str(own_folder) in logged and "UPLOAD_FOLDER" in logged
    assert batch(app) == {"verified": 1, "rejected": 0, "skipped": 0, "failed": 0}


def test_a_lost_image_waits_for_the_storage_and_the_operator_is_told_so(app, world):
    operator = world.user(platform_role=roles.DATACENTER)
    registration = submit(app, world.user().person)
    back = os.path.join(app.config["UPLOAD_FOLDER"], registration.back_image)
    os.rename(back, back + ".away")  # e.g. the shared volume not mounted yet
    assert batch(app)["failed"] == 1
    with pytest.raises(reg.ImagesNotInStorage) as refused:
        reg.verify(operator, registration, app.config["UPLOAD_FOLDER"])
    assert refused.value.message == "身份证图片暂时无法读取，请联系系统管理员检查图片存储后再处理"
    assert refused.value.missing == [registration.back_image] and refused.value.status == 503
    db.session.expire_all()
    assert registration.status == "submitted"
    os.rename(back + ".away", back)
    assert batch(app)["verified"] == 1


def test_data_center_rejects_with_reason_and_the_person_resubmits(app, world):
    operator = world.user(platform_role=roles.DATACENTER)
    person = world.user().person
    first = submit(app, person)
    with pytest.raises(RuleViolation) as no_reason:
        reg.reject(operator, first, "  ")
    assert no_reason.value.field == "reason"
    reg.reject(operator, first, "身份证人像面照片模糊")
    db.session.commit()
    assert reg.current_registration(person).reason == "身份证人像面照片模糊"
    with pytest.raises(Conflict):
        reg.verify(operator, first)
    second = submit(app, person)
    assert reg.current_registration(person).id == second.id
    reg.verify(operator, second, app.config["UPLOAD_FOLDER"])
    db.session.commit()
    assert second.status == "verified" and second.processed_by_id == operator.id
    assert batch(app) == {"verified": 0, "rejected": 0, "skipped": 0, "failed": 0}


def test_only_the_data_center_decides(app, world):
    registration = submit(app, world.user().person)
    with pytest.raises(Forbidden):
        reg.verify(world.user(), registration)
    with pytest.raises(Forbidden):
        reg.reject(world.admin(), registration, "x")


def test_data_center_cannot_verify_what_fails_the_checks(app, world):
    operator = world.user(platform_role=roles.DATACENTER)
    with time_machine.travel(SEP_28_2026, tick=False):
        registration = submit(app, world.user().person, id_number=make_id_number(birth=date(2012, 1, 1)))
        with pytest.raises(RuleViolation) as refused:
            reg.verify(operator, registration, app.config["UPLOAD_FOLDER"])
    assert refused.value.message == "未满16周岁，不能进行实名登记"
    assert registration.status == "submitted"


def test_personal_data_views_are_audited_and_limited(app, world):
    operator = world.user(platform_role=roles.DATACENTER)
    owner = world.user()
    registration = submit(app, owner.person)
    employer, former = world.enterprise(), world.enterprise()
    hr = world.hr_admin(employer)
    db.session.add_all([Employment(person_id=owner.person.id, enterprise_id=employer.id, status="active"),
                        Employment(person_id=owner.person.id, enterprise_id=former.id, status="ended")])
    db.session.commit()
    for viewer in (operator, owner, hr, employer.legal_rep):
        path = reg.view_id_image(viewer, registration, "back", app.config["UPLOAD_FOLDER"])
        assert os.path.isfile(path)
    assert reg.view_full_id_number(hr, registration) == registration.id_number
    db.session.commit()
    assert count(AuditEntry, AuditEntry.action == "personal_data.view_id_image") == 4
    assert count(AuditEntry, AuditEntry.action == "personal_data.view_id_number") == 1
    for outsider in (world.user(), world.admin(), former.legal_rep):
        with pytest.raises(NotFound):
            reg.view_id_image(outsider, registration, "front", app.config["UPLOAD_FOLDER"])
        with pytest.raises(NotFound):
            reg.view_full_id_number(outsider, registration)
    with pytest.raises(NotFound):
        reg.view_id_image(operator, registration, "../../etc", app.config["UPLOAD_FOLDER"])
    db.session.commit()
    assert count(AuditEntry, AuditEntry.action.like("personal_data.%")) == 5


def test_bank_card_is_luhn_checked_set_by_the_person_only_and_audited_masked(app, world):
    user = world.user()
    card = make_card_number(seed=3)
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    with pytest.raises(RuleViolation) as refused:
        reg.set_bank_card(user.person, "中国建设银行", bad, actor=user)
    assert refused.value.field == "card_number" and refused.value.message == "银行卡号校验位不正确"
    with pytest.raises(Forbidden):
        reg.set_bank_card(user.person, "中国建设银行", card, actor=world.user())
    reg.set_bank_card(user.person, " 中国建设银行 ", " ".join(card[i:i + 4] for i in range(0, len(card), 4)),
                      actor=user)
    db.session.commit()
    assert user.person.bank_card_number == card and user.person.bank_name == "中国建设银行"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.set_bank_card"))
    assert entry.actor_id == user.id and card not in str(entry.details) and card[-4:] in entry.details["card"]


def test_the_batch_is_scheduled_daily_at_two_and_runs_in_the_app(app, world):
    from app.workflow.scheduler import JOBS, build

    job = next(j for j in JOBS if j.id == "registration_batch")
    assert job.trigger == "cron" and job.options == {"hour": 2, "minute": 0}
    scheduled = build(app).get_job("registration_batch")
    assert scheduled is not None and "hour='2'" in str(scheduled.trigger)
    registration = submit(app, world.user().person)
    assert job.func() == "通过 1，退回 0，他人已处理 0，未能处理 0（下次再试）"  # what the monitor shows
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "verified"


def test_one_failure_or_race_costs_only_that_registration(app, world, monkeypatch):
    broken, raced, fine = (submit(app, world.user().person) for _ in range(3))
    checks = reg.rejection_reason

    def flaky(registration, folder, on):
        if registration.id == broken.id:
            raise RuntimeError("disk error")
        if registration.id == raced.id:  # an operator's decision commits meanwhile
            with db.engine.begin() as other:
                other.execute(update(Registration).where(Registration.id == raced.id)
                              .values(status="rejected", reason="照片模糊"))
        return checks(registration, folder, on)

    monkeypatch.setattr(reg, "rejection_reason", flaky)
    assert batch(app) == {"verified": 1, "rejected": 0, "skipped": 1, "failed": 1}
    db.session.expire_all()
    assert [r.status for r in (broken, raced, fine)] == ["submitted", "rejected", "verified"]
    assert db.session.get(Registration, raced.id).reason == "照片模糊"
