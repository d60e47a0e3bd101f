"""The on-site API (API.md "On site", signin-location, signin-officers): codes that
decode and expire, scans, the worker's sign-in, exits, lists — and who may do what."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app.services import geo
from tests.support.factories import auth, token
from tests.support.site import confirmed, officer, set_point, site_wgs84
from tests.support.staffing import staffing
from tests.unit.test_construction_code import read_qr, svg_to_png



@pytest.fixture
def s(world):
    return staffing(world, workers=3)


def my_code(client, tok) -> dict:
    response = client.get("/api/v1/me/code", headers=auth(tok))
    assert response.status_code == 200
    return response.get_json()


def scan(client, tok, pid, code, purpose="entry", **extra):
    return client.post(f"/api/v1/projects/{pid}/scans", json={"token": code, "purpose": purpose, **extra},
                       headers=auth(tok))


def test_the_qr_code_decodes_to_a_token_the_scan_accepts_until_it_expires(client, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    pm = token(client, s.gc.pm)
    NOON = datetime.now(timezone.utc).replace(microsecond=0)  # API tokens are valid from now on
    with time_machine.travel(NOON, tick=False):
        body = my_code(client, token(client, worker.user))
        decoded = read_qr(svg_to_png(body["svg"]))
        assert decoded == body["token"]
        assert datetime.fromisoformat(body["expires_at"]) == NOON + timedelta(seconds=120)
    with time_machine.travel(NOON + timedelta(seconds=121), tick=False):
        late = scan(client, pm, s.project.id, decoded)
        assert late.status_code == 422 and "过期" in late.get_json()["detail"]
    with time_machine.travel(NOON + timedelta(seconds=60), tick=False):
        forged = decoded[:-3] + ("A" if decoded[-3] != "A" else "B") + decoded[-2:]
        response = scan(client, pm, s.project.id, forged)
        assert response.status_code == 422 and "校验失败" in response.get_json()["detail"]
        response = scan(client, pm, s.project.id, decoded)
        assert response.status_code == 200
        assert response.get_json() == {"person_id": worker.id, "name": worker.name, "result": "entered",
                                       "message": f"{worker.name}已成功进入{s.project.name}"}


def test_english_messages_on_request(client, s):
    pm = token(client, s.gc.pm)
    response = client.post(f"/api/v1/projects/{s.project.id}/scans", json={"token": "not a code", "purpose": "entry"},
                           headers={**auth(pm), "Accept-Language": "en"})
    assert response.status_code == 422
    assert response.get_json()["detail"].isascii()


def test_scan_permissions_and_validation(client, s, world):
    worker = s.sub.workers[0]
    confirmed(s.project, worker)
    code = my_code(client, token(client, worker.user))["token"]
    outsider_project = world.project(world.enterprise())
    assert scan(client, token(client, s.sub.pm), s.project.id, code).status_code == 403
    assert scan(client, token(client, s.gc.pm), outsider_project.id, code).status_code == 404
    pm = token(client, s.gc.pm)
    bad = scan(client, pm, s.project.id, code, purpose="teleport")
    assert bad.status_code == 422 and "purpose" in bad.get_json()["errors"]
    assert scan(client, pm, s.project.id, "", purpose="entry").get_json()["errors"].keys() == {"token"}
    assert scan(client, pm, s.project.id, code, lng="nan", lat=31).status_code == 422
    assert scan(client, pm, s.project.id, code, lng=200, lat=31).status_code == 422
    assert scan(client, pm, s.project.id, code, purpose="clock_in").status_code == 422  # not entered yet
    assert scan(client, pm, s.project.id, code).status_code == 200
    assert scan(client, pm, s.project.id, code, purpose="clock_in").get_json()["result"] == "clock_in"


def test_worker_sign_in_inside_the_range_once_a_day(client, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    me = token(client, worker.user)
    officer_code = my_code(client, token(client, clerk.user))["token"]
    lng, lat = site_wgs84()
    body = {"project_id": s.project.id, "officer_token": officer_code, "lng": lng, "lat": lat, "coord_system": "wgs84"}
    no_point = client.post("/api/v1/me/signins", json=body, headers=auth(me))
    assert no_point.status_code == 422 and no_point.get_json()["detail"] == "该项目未设置签到地址，请项目经理设置"
    set_point(s.project, s.gc.pm)
    far_lng, far_lat = geo.offset_point(lng, lat, east_m=800)
    outside = client.post("/api/v1/me/signins", json={**body, "lng": far_lng, "lat": far_lat}, headers=auth(me))
    assert outside.status_code == 422 and "签到范围" in outside.get_json()["detail"]
    first = client.post("/api/v1/me/signins", json=body, headers=auth(me))
    assert first.status_code == 201
    second = client.post("/api/v1/me/signins", json=body, headers=auth(me))
    assert second.status_code == 200 and second.get_json()["id"] == first.get_json()["id"]
    missing = client.post("/api/v1/me/signins", json={**body, "lng": None}, headers=auth(me))
    assert missing.status_code == 422 and "lng" in missing.get_json()["errors"]

    listed = client.get(f"/api/v1/projects/{s.project.id}/signins", headers=auth(token(client, s.gc.pm))).get_json()
    assert [(i["person_id"], i["method"]) for i in listed["items"]] == [(worker.id, "worker_scan")]
    assert set(listed["items"][0]) >= {"person_id", "signed_at", "method"}
    sub_view = client.get(f"/api/v1/projects/{s.project.id}/signins", headers=auth(token(client, s.sub.pm)))
    assert sub_view.status_code == 200 and sub_view.get_json()["items"] == []  # the GC's worker is not theirs
    assert client.get(f"/api/v1/projects/{s.project.id}/signins?date=2026-13-01",
                      headers=auth(token(client, s.gc.pm))).status_code == 400


def test_officer_scan_needs_the_officers_own_position_inside_the_range(client, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = token(client, officer(s).user)
    set_point(s.project, s.gc.pm)
    code = my_code(client, token(client, worker.user))["token"]
    lng, lat = site_wgs84()
    blind = scan(client, clerk, s.project.id, code, "signin")
    assert blind.status_code == 422 and blind.get_json()["detail"] == "请开启定位后再签到"
    assert "lng" in blind.get_json()["errors"]
    far_lng, far_lat = geo.offset_point(lng, lat, east_m=5000)
    far = scan(client, clerk, s.project.id, code, "signin", lng=far_lng, lat=far_lat, coord_system="wgs84")
    assert far.status_code == 422 and "签到范围" in far.get_json()["detail"]
    here = scan(client, clerk, s.project.id, code, "signin", lng=lng, lat=lat, coord_system="wgs84")
    assert here.status_code == 200 and here.get_json()["result"] == "signed_in"
    listed = client.get(f"/api/v1/projects/{s.project.id}/signins", headers=auth(token(client, s.gc.pm))).get_json()
    assert [(i["person_id"], i["method"]) for i in listed["items"]] == [(worker.id, "officer_scan")]


def test_signin_location_and_officers_belong_to_the_gc_pm(client, s, world):
    gc_pm, sub_pm = token(client, s.gc.pm), token(client, s.sub.pm)
    url = f"/api/v1/projects/{s.project.id}/signin-location"
    good = {"lng": 121.46558, "lat": 31.189384, "radius_m": 300, "coord_system": "gcj02"}
    assert client.put(url, json=good, headers=auth(sub_pm)).status_code == 403
    outsider = world.hr_admin(world.enterprise())
    assert client.put(url, json=good, headers=auth(token(client, outsider))).status_code == 404
    small = client.put(url, json={**good, "radius_m": 49}, headers=auth(gc_pm))
    assert small.status_code == 422 and "radius_m" in small.get_json()["errors"]
    assert client.put(url, json={**good, "lat": 91}, headers=auth(gc_pm)).status_code == 422
    ok = client.put(url, json=good, headers=auth(gc_pm))
    assert ok.status_code == 200 and ok.get_json()["outside_mainland"] is False
    default_radius = client.put(url, json={"lng": 121.46558, "lat": 31.189384}, headers=auth(gc_pm)).get_json()
    assert (default_radius["radius_m"], default_radius["coord_system"]) == (300, "gcj02")
    abroad = client.put(url, json={"lng": 2.3522, "lat": 48.8566, "coord_system": "wgs84"}, headers=auth(gc_pm))
    assert abroad.status_code == 200 and abroad.get_json()["outside_mainland"] and abroad.get_json()["warning"]

    member, pending = s.gc.workers[:2]
    confirmed(s.project, member)
    confirmed(s.project, pending, status="pending_level1")
    officers = f"/api/v1/projects/{s.project.id}/signin-officers"
    assert client.post(officers, json={"person_id": member.id}, headers=auth(sub_pm)).status_code == 403
    assert client.post(officers, json={"person_id": pending.id}, headers=auth(gc_pm)).status_code == 422
    assert client.post(officers, json={"person_id": member.id}, headers=auth(gc_pm)).status_code == 201
    assert client.post(officers, json={"person_id": member.id}, headers=auth(gc_pm)).status_code == 409
    assert [i["person_id"] for i in client.get(officers, headers=auth(gc_pm)).get_json()["items"]] == [member.id]
    assert client.delete(f"{officers}/{member.id}", headers=auth(gc_pm)).status_code == 200
    assert client.delete(f"{officers}/{member.id}", headers=auth(gc_pm)).status_code == 404


def test_exits_one_or_many(client, s):
    a, b = s.sub.workers[:2]
    confirmed(s.project, a, status="on_site")
    confirmed(s.project, b)
    gc_pm = token(client, s.gc.pm)
    url = f"/api/v1/projects/{s.project.id}/exits"
    assert client.post(url, json={"person_ids": [a.id]}, headers=auth(token(client, s.sub.pm))).status_code == 403
    assert client.post(url, json={"person_ids": []}, headers=auth(gc_pm)).status_code == 422
    results = client.post(url, json={"person_ids": [a.id, b.id, a.id]}, headers=auth(gc_pm)).get_json()["results"]
    assert [(r["person_id"], r["ok"]) for r in results] == [(a.id, True), (b.id, True)]
    again = client.post(url, json={"person_ids": [a.id]}, headers=auth(gc_pm)).get_json()["results"]
    assert again[0]["ok"] is False and again[0]["detail"]


def test_a_person_without_a_record_has_no_code(client, world):
    admin = world.admin()
    response = client.get("/api/v1/me/code", headers=auth(token(client, admin)))
    assert response.status_code in (404, 200)
    if response.status_code == 200:  # an admin created with a person record
        assert response.get_json()["token"]


@pytest.mark.parametrize("bad", ["0001-01-01", "9999-12-31", "2026-02-30", "20261122", "2026-W47-1", "x"])
def test_list_dates_out_of_range_are_a_clear_400(client, s, bad):
    for kind in ("signins", "attendance", "entries"):
        response = client.get(f"/api/v1/projects/{s.project.id}/{kind}?date={bad}", headers=auth(token(client, s.gc.pm)))
        assert response.status_code == 400 and "date" in response.get_json()["errors"]
