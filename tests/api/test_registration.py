"""POST/GET /api/v1/me/registration and PUT /api/v1/me/bank-card (API.md "Registration")."""
import os
from datetime import date, datetime, timezone

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Registration
from tests.support.factories import auth, token
from tests.support.identifiers import make_card_number, make_id_number
from tests.support.images import make_id_image, upload

PROBLEM = "application/problem+json"
FAQ_1 = "您的登记信息已提交，正在等待大数据中心批量处理，无需重复登记"


def body(**overrides) -> dict:
    data = {"name": "李建华", "id_number": make_id_number(birth=date(1988, 3, 14), seq=21),
            "agree_notice": "true", "id_front": upload(make_id_image("PNG"), "front.png"),
            "id_back": upload(make_id_image("JPEG"), "back.jpg")}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, tok, **overrides):
    return client.post("/api/v1/me/registration", data=body(**overrides), headers=auth(tok),
                       content_type="multipart/form-data")


def stored(app) -> list:
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "registrations")
    return os.listdir(folder) if os.path.isdir(folder) else []


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Registration))


def test_worker_registers_and_the_batch_verifies(app, client, world):
    user = world.user("worker1")
    tok = token(client, user)
    assert client.get("/api/v1/me/registration", headers=auth(tok)).status_code == 404
    response = post(client, tok)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "submitted" and date.fromisoformat(created["expected_by"]) > date.today()
    assert len(stored(app)) == 2
    registration = db.session.scalar(select(Registration))
    assert registration.phone == user.phone  # phone left out: the account's phone
    status = client.get("/api/v1/me/registration", headers=auth(tok)).get_json()
    assert status["status"] == "submitted" and "reason" not in status
    result = app.test_cli_runner().invoke(args=["registrations", "process"])
    assert result.exit_code == 0 and "verified: 1" in result.output
    assert client.get("/api/v1/me/registration", headers=auth(tok)).get_json()["status"] == "verified"
    me = client.get("/api/v1/me", headers=auth(tok)).get_json()
    assert me["person_id"] == user.person.id
    db.session.refresh(user.person)
    assert user.person.id_number == registration.id_number


def test_expected_by_is_computed_with_the_holiday_calendar(client, world):
    with time_machine.travel(datetime(2026, 9, 28, 1, 0, tzinfo=timezone.utc), tick=False):
        tok = token(client, world.user())
        response = post(client, tok, phone="13800138000")
    assert response.status_code == 201
    assert response.get_json()["expected_by"] == "2026-10-23"


def test_bad_id_number_is_422_on_id_number_and_nothing_kept(app, client, world):
    tok = token(client, world.user())
    good = make_id_number(seq=30)
    response = post(client, tok, id_number=good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.get_json()["errors"]["id_number"] == "身份证号码校验位不正确"
    assert stored(app) == [] and rows() == 0


def test_already_submitted_is_409_with_the_faq_message(app, client, world):
    tok = token(client, world.user())
    assert post(client, tok).status_code == 201
    again = post(client, tok)
    assert again.status_code == 409 and again.mimetype == PROBLEM
    assert again.get_json()["detail"] == FAQ_1
    assert len(stored(app)) == 2 and rows() == 1


def test_notice_and_both_images_are_required(client, world):
    tok = token(client, world.user())
    response = post(client, tok, agree_notice="false", id_back=None)
    errors = response.get_json()["errors"]
    assert response.status_code == 422
    assert errors["agree_notice"] == "请先阅读并勾选填报须知" and errors["id_back"] == "请上传身份证人像面图片"


def test_fake_and_wrong_format_images_are_refused(app, client, world):
    tok = token(client, world.user())
    text = post(client, tok, id_front=upload(b"just some text\n", "front.jpg"))
    assert text.status_code == 422 and text.get_json()["errors"]["id_front"] == "图片无法识别，请重新拍摄上传"
    gif = post(client, tok, id_back=upload(make_id_image("GIF"), "back.png"))
    assert gif.status_code == 422 and gif.get_json()["errors"]["id_back"] == "请上传JPG或PNG格式的图片"
    assert stored(app) == [] and rows() == 0


def test_too_large_image_and_too_large_request(app, client, world):
    tok = token(client, world.user())
    app.config["MAX_IMAGE_BYTES"] = 3000  # the PNG front passes, the JPEG back does not
    big = post(client, tok, id_back=upload(make_id_image("JPEG", size=(800, 500)), "back.jpg"))
    assert big.status_code == 422 and big.get_json()["errors"]["id_back"] == "图片大小不能超过5MB"
    app.config["MAX_CONTENT_LENGTH"] = 4000
    huge = post(client, tok, id_front=upload(b"\x89PNG" + b"\0" * 8000, "front.png"))
    assert huge.status_code == 413 and huge.mimetype == PROBLEM
    assert stored(app) == [] and rows() == 0


def test_under_sixteen_is_rejected_by_the_batch_with_the_reason(app, client, world):
    with time_machine.travel(datetime(2026, 9, 28, 1, 0, tzinfo=timezone.utc), tick=False):
        tok = token(client, world.user())
        assert post(client, tok, id_number=make_id_number(birth=date(2011, 5, 1), seq=40)).status_code == 201
        app.test_cli_runner().invoke(args=["registrations", "process"])
        status = client.get("/api/v1/me/registration", headers=auth(tok)).get_json()
    assert status["status"] == "rejected" and status["reason"] == "未满16周岁，不能进行实名登记"


def test_staff_accounts_have_no_registration(client, app):
    app.test_cli_runner().invoke(args=["create-admin", "--username", "root", "--password", "Root12345"])
    tok = token(client, "root", "Root12345")
    assert client.get("/api/v1/me/registration", headers=auth(tok)).status_code == 404
    assert post(client, tok).status_code == 404


def test_bank_card(client, world):
    user = world.user()
    tok = token(client, user)
    card = make_card_number(seed=8)
    bad = card[:-1] + str((int(card[-1]) + 5) % 10)
    refused = client.put("/api/v1/me/bank-card", json={"bank_name": "中国工商银行", "card_number": bad},
                         headers=auth(tok))
    assert refused.status_code == 422 and refused.get_json()["errors"]["card_number"] == "银行卡号校验位不正确"
    ok = client.put("/api/v1/me/bank-card", json={"bank_name": "中国工商银行", "card_number": card},
                    headers=auth(tok))
    assert ok.status_code == 200 and ok.get_json()["card_number"].endswith(card[-4:])
    assert card not in ok.get_data(as_text=True)
    db.session.refresh(user.person)
    assert user.person.bank_card_number == card
    assert client.put("/api/v1/me/bank-card", json={"bank_name": "x", "card_number": card}).status_code == 401


def test_openapi_documents_the_multipart_upload(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/api/v1/me/registration"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["id_front"] == {"type": "string", "format": "binary", "description": "身份证国徽面"}
    assert {"name", "id_number", "id_front", "id_back", "agree_notice"} <= set(schema["required"])
    assert "phone" not in schema["required"]
