"""Security headers (app/web/security_headers.py): every page the app serves, for every
kind of user, carries a Content-Security-Policy without inline script, frame protection,
nosniff and a referrer policy; HSTS only when the session cookie is HTTPS-only. The
templates and our own JS hold nothing that policy would block.

The sweep walks app.url_map: a new GET route is requested without anyone listing it here
(a route whose URL needs a value the `universe` fixture lacks fails until it has one)."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Allocation, Employment, ProcessInstance, Registration
from app.web.security_headers import BPMN_JS_STYLE_ATTRIBUTES
from app.workflow import definitions
from tests.conftest import IsolatedClient, base_config
from tests.reliability.worlds import build
from tests.support.factories import auth, log_in, token
from tests.support.people import submitted_person

APP = Path(__file__).resolve().parents[2] / "app"
ROLES = ("newcomer", "worker", "hr", "sub_hr", "legal_rep", "sub_legal_rep", "gc_pm", "sub_pm", "site_operator",
         "signin_officer", "datacenter", "analyst", "admin")
# GET routes that answer with something other than a page when all goes well
NOT_PAGES = {"static", "monitor.diagram", "inbox.diagram", "modeler.download", "datacenter.image",
             "payroll_batches.summary_pdf", "onsite.records_csv", "worker_site.code_json", "favicon",
             "shortcuts.hire_registration", "shortcuts.project_acceptance"}  # redirects, not pages
PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def nonce_of(response) -> str | None:
    found = [v for v in directives(response).get("script-src", []) if v.startswith("'nonce-")]
    return found[0][len("'nonce-"):-1] if found else None


def page_problems(response) -> list[str]:
    """What is missing from a page's headers (empty when all is there)."""
    problems, csp, h = [], directives(response), response.headers
    script = csp.get("script-src", [])
    if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script or "*" in script:
        problems.append(f"script-src {script}")
    if not nonce_of(response):
        problems.append("no nonce in script-src")
    if "'unsafe-inline'" in csp.get("style-src", []) + csp.get("style-src-attr", []):
        problems.append("unsafe-inline style")
    if csp.get("default-src") != ["'none'"] or csp.get("object-src") != ["'none'"] \
            or csp.get("base-uri") != ["'none'"]:
        problems.append("default-src/object-src/base-uri")
    if csp.get("frame-ancestors") != ["'none'"] or h.get("X-Frame-Options") != "DENY":
        problems.append("frame protection")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append("nosniff")
    if h.get("Referrer-Policy") not in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"):
        problems.append("referrer policy")
    if "camera=(self)" not in h.get("Permissions-Policy", "") or \
            "geolocation=(self)" not in h.get("Permissions-Policy", ""):
        problems.append("camera/geolocation not allowed to the site itself")
    if "Strict-Transport-Security" in h:
        problems.append("HSTS without SESSION_COOKIE_SECURE")
    return problems


@pytest.fixture
def universe(app, world):
    u = build(world, "标头世界", "HDR")
    hire = db.session.get(ProcessInstance, u.ids["hire_instance"])
    registration = db.session.scalar(select(Registration).where(
        Registration.person_id == submitted_person(world, "标头待审人员").id))
    gc_employment = db.session.scalar(select(Employment.id).where(
        Employment.person_id == u.ids["gc_worker"], Employment.enterprise_id == u.ids["gc"]))
    u.users["newcomer"] = world.user("hdr_newcomer", name="标头新用户")  # not registered yet
    resignation = (PROCESSES / "resignation.bpmn").read_text(encoding="utf-8")
    definitions.deploy(resignation.replace('"PT24H"', '"PT48H"'), "test")  # v2, so that there is a comparison
    db.session.commit()
    u.route_values = {
        "pid": u.ids["project"], "eid": u.ids["gc"], "employment_id": gc_employment,
        "task_id": u.ids["agree_task"], "batch_id": u.ids["batch"], "draft_id": u.ids["gc_draft"],
        "instance_id": u.ids["hire_instance"], "definition_id": hire.definition_id,
        "process_key": "resignation", "key": "resignation", "version": 1,
        "rid": registration.id, "side": "front", "filename": "app.css", "year": 2027,
        "allocation_id": db.session.scalar(select(Allocation.id).where(  # 进场成功 of someone on site
            Allocation.project_id == u.ids["project"], Allocation.status == "on_site").limit(1)),
    }
    u.query = {"modeler.compare": {"a": 1, "b": 2}, "worker.new_registration": {"agree_notice": "y"},
               "separation.employer.new_dismissal": {"person_ids": u.ids["gc_worker"]},
               "enterprise.hire_registration.fill": {"identity": "worker", "e": _consented(world, u)}}
    return u


def _consented(world, u) -> int:
    """An employment of the GC awaiting 聘用登记 (the person agreed), for its fields page."""
    from app.models import Enterprise, HumanTask
    from app.services import employment
    from app.workflow import runtime
    from tests.support.people import verified_person
    person = verified_person(world, "标头待登记人员")
    hire = employment.request_hire(u.users["hr"], db.session.get(Enterprise, u.ids["gc"]), person.name,
                                   person.id_number)
    db.session.commit()
    consent = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == hire.process_instance_id,
                                                        HumanTask.status == "open"))
    runtime.complete(consent, person.user, {"decision": "agree"})
    return hire.id


def get_routes(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.rule.startswith("/api/")), key=lambda r: r.rule)


def url_of(rule, values) -> str:
    missing = rule.arguments - values.keys()
    assert not missing, f"{rule.rule}: add a value for {sorted(missing)} to the universe fixture"
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_page_carries_the_headers_for_every_role(app, universe):
    routes = get_routes(app)
    assert len(routes) > 40
    failures, served = [], set()  # served: endpoints some role got as a 200 page
    app.test_client_class = IsolatedClient
    for role in (None, *ROLES):
        client = app.test_client()
        if role:
            log_in(client, universe.users[role])
        for rule in routes:
            response = client.get(url_of(rule, universe.route_values), query_string=universe.query.get(rule.endpoint))
            if response.headers.get("X-Content-Type-Options") != "nosniff":
                failures.append((role, rule.rule, response.status_code, "nosniff"))
            if response.mimetype == "text/html":
                if problems := page_problems(response):
                    failures.append((role, rule.rule, response.status_code, problems))
                if response.status_code == 200:
                    served.add(rule.endpoint)
    assert failures == [], "\n".join(map(str, failures))
    # the sweep looked at the pages themselves, not only at login redirects and 403 pages
    pages = {rule.endpoint for rule in routes} - NOT_PAGES
    assert pages - served == set(), f"no role got these pages: {sorted(pages - served)}"


def test_the_nonce_is_new_on_every_request_and_is_the_one_the_page_uses(client):
    first, second = client.get("/login"), client.get("/login")
    assert nonce_of(first) and nonce_of(second) and nonce_of(first) != nonce_of(second)
    assert len(nonce_of(first)) >= 22  # at least 128 bits
    for response in (first, second):  # any nonce="" in the page is this response's
        assert set(re.findall(r'nonce="([^"]*)"', response.get_data(as_text=True))) <= {nonce_of(response)}


def test_a_template_script_with_the_nonce_gets_this_requests_nonce(app):
    html = app.jinja_env.from_string('<script nonce="{{ csp_nonce() }}">x()</script>{{ csp_nonce() }}')
    with app.test_request_context("/"):
        first = html.render()
        nonce = re.search(r'nonce="([^"]+)"', first).group(1)
        assert first.endswith(nonce)  # one nonce per request, however often asked
    with app.test_request_context("/"):
        assert nonce not in html.render()


def test_error_pages_and_api_answers_carry_the_headers(client, world):
    user = world.user("headers_api")
    assert page_problems(client.get("/no-such-page")) == []
    for response in (client.get("/api/v1/me", headers=auth(token(client, user))), client.get("/api/v1/me"),
                     client.get("/api/v1/no-such-thing"), client.get("/api/v1/openapi.json")):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.status_code
        assert response.headers["X-Frame-Options"] == "DENY"


def test_a_views_own_sandbox_policy_is_kept(client, world):
    log_in(client, world.user("headers_analyst", platform_role="analyst"))
    response = client.get("/modeler/resignation/v1.bpmn")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("secure", [False, True])
def test_hsts_only_when_the_session_cookie_is_https_only(database_url, tmp_path, secure):
    app = create_app({**base_config(database_url, tmp_path), "SESSION_COOKIE_SECURE": secure})
    with app.app_context():
        client = app.test_client()
        responses = [client.get(path, base_url="https://localhost") for path in ("/login", "/api/v1/me", "/nowhere")]
        db.engine.dispose()
    for response in responses:
        if secure:
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        else:
            assert "Strict-Transport-Security" not in response.headers


# ---- what the policy would block must not be in the templates or our own JS ----

class _TagCheck(HTMLParser):
    """Inline <script> without the nonce, <style> elements, on...= handlers, javascript: URLs,
    style="" attributes."""

    def __init__(self):
        super().__init__()
        self.problems, self._inline_script = [], False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (an inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=...> (an inline style)")
            if (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.problems.append("<style> (style-src allows only stylesheets under app/static)")
        if tag == "script" and "src" not in attributes:
            data_block = attributes.get("type") == "application/json"  # never executed: CSP does not apply
            if not data_block and attributes.get("nonce") != "NONCE":
                self.problems.append("<script> inline without nonce=\"{{ csp_nonce() }}\"")

    def handle_data(self, data):
        pass


def template_problems(source: str) -> list[str]:
    source = source.replace("{{ csp_nonce() }}", "NONCE")
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "J", source, flags=re.S)  # Jinja: a plain word to the parser
    check = _TagCheck()
    check.feed(source)
    check.close()
    return check.problems


def test_templates_hold_no_inline_script_handler_or_style():
    templates = sorted((APP / "templates").rglob("*.html"))
    assert len(templates) > 40
    found = {str(t.relative_to(APP)): p for t in templates if (p := template_problems(t.read_text()))}
    assert found == {}


def test_the_template_check_sees_what_it_looks_for():
    assert template_problems('<form onsubmit="return confirm(\'x\')"></form>')
    assert template_problems('<button type="button" onclick="window.print()">')
    assert template_problems('<script>alert(1)</script>')
    assert template_problems('<a href="javascript:void(0)">x</a>')
    assert template_problems('<div style="width: {{ w }}%"></div>')
    assert template_problems('<style>.a { color: red }</style>')
    assert template_problems('<script nonce="{{ other() }}">x()</script>')
    assert not template_problems('<script nonce="{{ csp_nonce() }}">x()</script>')
    assert not template_problems('<script src="{{ url_for(\'static\', filename=\'a.js\') }}"></script>')
    assert not template_problems('<script type="application/json" id="d">{{ d|tojson }}</script>')
    assert not template_problems('<option {{ "selected" if on }}>{{ online }}</option>')


OWN_JS_BLOCKED = re.compile(r"""\beval\s*\(|new\s+Function\s*\(|javascript:|setAttribute\(\s*["'](on\w+|style)["']"""
                            r"""|\son\w+\s*=\s*\\?["']|style\s*=\s*\\?["']|set(Timeout|Interval)\(\s*["']""")


def test_our_own_js_builds_no_inline_handler_style_or_eval():
    scripts = sorted((APP / "static").glob("*.js"))
    assert len(scripts) > 5
    found = {s.name: [m.group(0) for m in OWN_JS_BLOCKED.finditer(s.read_text())] for s in scripts}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_allowed_bpmn_js_style_attributes_are_those_of_the_vendored_bundle():
    bpmn_js = APP / "static" / "vendor" / "bpmn-js"
    modeler = set(re.findall(r'style="([^"]*)"', (bpmn_js / "bpmn-modeler.production.min.js").read_text()))
    viewer = set(re.findall(r'style="([^"]*)"', (bpmn_js / "bpmn-navigated-viewer.production.min.js").read_text()))
    assert modeler == set(BPMN_JS_STYLE_ATTRIBUTES)
    assert viewer <= modeler
