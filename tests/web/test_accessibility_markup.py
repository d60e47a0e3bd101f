"""The markup assistive technology relies on (issue 19, WCAG 2.1 AA), on every page from
base.html and the field macro: the skip link first, the main landmark it targets, the
language button's own language, form errors tied to their fields, the favicon; the code
page's countdown is not a live region; the modeler offers its XML to keyboard users."""
import re

from app.services import roles
from tests.support.factories import log_in, submit


def test_skip_link_first_main_target_language_button_and_icon(client, world):
    world.user("wanggong", name="王工")
    log_in(client, "wanggong")
    html = client.get("/").get_data(as_text=True)
    body = html[html.index("<body>"):]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'href="#main"' in first_link and "跳到主要内容" in body[:400]
    assert '<main class="container mb-5" id="main" tabindex="-1">' in html
    assert re.search(r'<button[^>]*lang="en"[^>]*>English</button>', html)
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg', html)
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data

    submit(client, "/lang/en", {"next": "/"}, page="/")
    english = client.get("/").get_data(as_text=True)
    assert english.startswith('<!doctype html>\n<html lang="en">')
    assert re.search(r'<button[^>]*lang="zh-CN"[^>]*>中文</button>', english)


def test_a_refused_field_says_so_and_names_its_error(client, world):
    world.user("lisi", name="李四")
    log_in(client, "lisi")
    html = submit(client, "/password", {"current_password": "secret123", "new_password": "short",
                                        "confirm_password": "short"}, page="/password").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="new_password"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    assert described == ["new_password-help", "new_password-error"]
    error = re.search(r'<div class="invalid-feedback d-block" id="new_password-error">([^<]+)', html)
    assert error and error.group(1).strip()
    untouched = re.search(r'<input[^>]*name="current_password"[^>]*>', html).group(0)
    assert "aria-invalid" not in untouched


def test_code_countdown_is_not_a_live_region(client, world):
    from tests.support.staffing import employee
    person = employee(world, world.enterprise(), name="周师傅")
    log_in(client, person.user.username)
    html = client.get("/me/code").get_data(as_text=True)
    countdown = re.search(r"<p[^>]*data-countdown[^>]*>", html).group(0)
    assert "aria-live" not in countdown
    assert re.search(r'<p class="visually-hidden" role="status" aria-live="polite" data-announce></p>', html)


def test_modeler_offers_the_xml_to_keyboard_users_and_names_lanes_in_words(client, world):
    world.user("analyst_x", name="李分析", platform_role=roles.ANALYST)
    log_in(client, "analyst_x")
    html = client.get("/modeler/resignation/edit").get_data(as_text=True)
    assert "流程图画布需要鼠标或触控操作" in html
    xml = re.search(r'<textarea[^>]*id="xml-source"[^>]*>(.*?)</textarea>', html, re.S)
    assert xml and "&lt;bpmn:definitions" in xml.group(1) and "readonly" not in xml.group(0)
    lanes = re.search(r'<select[^>]*id="prop-lane-role".*?</select>', html, re.S).group(0)
    assert '<option value="enterprise_hr">法人或人事聘用管理员</option>' in lanes
    assert "（enterprise_hr）" not in lanes
