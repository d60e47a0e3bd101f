"""GET/PUT /api/v1/admin/calendar/{year} (API.md "Administration") and the registration
due dates that count with it."""
from datetime import date, datetime, timezone

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, CalendarDay, CalendarYear, Registration
from app.services import roles
from tests.support.factories import auth, token
from tests.support.identifiers import make_id_number
from tests.support.images import make_id_image, upload

PROBLEM = "application/problem+json"
MID_DECEMBER = datetime(2026, 12, 15, 2, 0, tzinfo=timezone.utc)  # Tue 15 Dec, 10:00 in Shanghai
# Illustrative, not the State Council's text: New Year 1–3 Jan, Spring Festival 6–14 Feb, Sat 20 Feb worked.
SCHEDULE_2027 = {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03", *(f"2027-02-{d:02d}" for d in range(6, 15))],
                 "workdays": ["2027-02-20"]}


def register(client, tok, seq: int):
    data = {"name": "李建华", "id_number": make_id_number(birth=date(1988, 3, 14), seq=seq), "agree_notice": "true",
            "id_front": upload(make_id_image("PNG"), "front.png"), "id_back": upload(make_id_image("JPEG"), "back.jpg")}
    response = client.post("/api/v1/me/registration", data=data, headers=auth(tok), content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def calendar_rows() -> tuple:
    return (db.session.scalar(select(func.count()).select_from(CalendarYear)),
            db.session.scalar(select(func.count()).select_from(CalendarDay)),
            db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "calendar.enter_year")))


def test_a_2027_due_date_moves_when_the_administrator_enters_2027(client, world):
    with time_machine.travel(MID_DECEMBER, tick=False):
        worker = token(client, world.user())
        first = register(client, worker, seq=41)
        # Monday–Friday: 16–18, 21–25, 28–31 Dec, Fri 1 Jan (unknown, counted), Mon 4, Tue 5 Jan.
        assert first["expected_by"] == "2027-01-05" and first["expected_by_is_estimate"] is True

        admin = token(client, world.admin())
        before = client.get("/api/v1/admin/calendar/2027", headers=auth(admin)).get_json()
        assert before == {"year": 2027, "holidays": [], "workdays": [], "source": "estimate", "estimate": True}
        put = client.put("/api/v1/admin/calendar/2027", json=SCHEDULE_2027, headers=auth(admin))
        assert put.status_code == 200, put.get_json()
        body = put.get_json()
        assert body["source"] == "administrator" and body["estimate"] is False and body["rescheduled"] == 1
        assert body["entered_at"].startswith("2026-12-15T02:00:00")
        assert body["holidays"] == SCHEDULE_2027["holidays"] and body["workdays"] == ["2027-02-20"]

        # The pending registration is counted again: New Year's Day is a holiday now.
        again = client.get("/api/v1/me/registration", headers=auth(worker)).get_json()
        assert again["expected_by"] == "2027-01-06" and again["expected_by_is_estimate"] is False
        # And a new registration gets the exact date at once.
        second = register(client, token(client, world.user()), seq=42)
        assert second["expected_by"] == "2027-01-06" and second["expected_by_is_estimate"] is False
    body.pop("rescheduled")
    assert client.get("/api/v1/admin/calendar/2027", headers=auth(admin)).get_json() == body
    moved = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.reschedule"))
    assert moved.details == {"year": 2027, "previous": "2027-01-05", "expected_by": "2027-01-06"}
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_a_known_year_reads_from_the_package_until_entered(client, world):
    admin = token(client, world.admin())
    body = client.get("/api/v1/admin/calendar/2026", headers=auth(admin)).get_json()
    assert body["source"] == "package" and body["estimate"] is False
    assert "2026-10-05" in body["holidays"] and body["workdays"][-1] == "2026-10-10"


def test_only_the_administrator_reads_or_enters_the_calendar(client, world):
    callers = {"worker": world.user(), "datacenter": world.user(platform_role=roles.DATACENTER),
               "analyst": world.user(platform_role=roles.ANALYST)}
    for name, user in callers.items():
        tok = token(client, user)
        assert client.get("/api/v1/admin/calendar/2027", headers=auth(tok)).status_code == 403, name
        put = client.put("/api/v1/admin/calendar/2027", json=SCHEDULE_2027, headers=auth(tok))
        assert put.status_code == 403 and put.mimetype == PROBLEM, name
    assert client.get("/api/v1/admin/calendar/2027").status_code == 401
    assert client.put("/api/v1/admin/calendar/2027", json=SCHEDULE_2027).status_code == 401
    assert calendar_rows() == (0, 0, 0)


def test_bad_input_is_422_naming_the_field_and_nothing_changes(client, world):
    admin = token(client, world.admin())
    cases = [
        ({"workdays": []}, "holidays", "请填写放假日期"),
        ({**SCHEDULE_2027, "holidays": ["2027-01-01", "2027-13-01"]}, "holidays", "无法识别的日期：2027-13-01"),
        ({**SCHEDULE_2027, "holidays": ["2027-01-01", "2028-01-01"]}, "holidays", "2028-01-01不在2027年内"),
        ({**SCHEDULE_2027, "workdays": ["2027-02-19"]}, "workdays", "调休上班日期应为周六或周日，2027-02-19不是"),
        ({**SCHEDULE_2027, "workdays": ["2027-02-13"]}, "workdays", "2027-02-13不能既是放假日期又是调休上班日期"),
        ({**SCHEDULE_2027, "holidays": ["2027-01-01", "2027-01-01"]}, "holidays", "日期重复：2027-01-01"),
        ({"holidays": ["2027-01-02", "2027-01-03"]}, "holidays", "放假日期全部是周六、周日"),
        ({**SCHEDULE_2027, "workdays": [{"day": "2027-02-20"}]}, "workdays", "无法识别的日期"),
        ({**SCHEDULE_2027, "workdays": [20270220, True, None]}, "workdays", "无法识别的日期：20270220"),
        ({"holidays": ["2027-01-01~2027-01-31"] * 101}, "holidays", "最多填写100个日期"),
        ({"holidays": ["2027-01-01~2027-01-03"] * 21}, "holidays", "最多填写60个日期"),
        ({"holidays": ["2027-01-01~", "2027-01-03"]}, "holidays", "无法识别的日期：2027-01-01~"),
    ]
    for payload, field, message in cases:
        response = client.put("/api/v1/admin/calendar/2027", json=payload, headers=auth(admin))
        assert response.status_code == 422 and response.mimetype == PROBLEM, (payload, response.get_json())
        assert message in response.get_json()["errors"][field], (payload, response.get_json())
    assert calendar_rows() == (0, 0, 0)
    for year in (1999, 2100):
        response = client.put(f"/api/v1/admin/calendar/{year}", json=SCHEDULE_2027, headers=auth(admin))
        assert response.status_code == 404 and response.mimetype == PROBLEM
        assert client.get(f"/api/v1/admin/calendar/{year}", headers=auth(admin)).status_code == 404
    assert client.put("/api/v1/admin/calendar/2027", data="{not json", content_type="application/json",
                      headers=auth(admin)).status_code == 400
    assert calendar_rows() == (0, 0, 0)


def test_the_openapi_document_describes_both_calls(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = paths["/api/v1/admin/calendar/{year}"]
    assert set(operations) == {"get", "put"}
    body = operations["put"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert body["holidays"]["type"] == "array" and body["workdays"]["items"]["format"] == "date"
    assert {"403", "404", "422"} <= set(operations["put"]["responses"])
