"""Every screen a worker, a PM, HR and the legal representative reach from the menu and the
home page, on a 390 px phone: the page fits the screen (no sideways scrolling), shows no raw
id (编号 15, #2) and no role key (project_manager, enterprise_hr …), and axe-core finds no
serious or critical violation of WCAG 2.1 AA. Then the login, code, site, modeler and
monitor pages the same way at 1366 px. Every problem of every page is collected and
reported together, so one run tells what is left to fix."""
from datetime import date
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.services import payroll, roles, separation
from tests.browser.steps.accessibility import axe_violations, horizontal_overflow, layout_shift, raw_ids
from tests.browser.steps.session import log_in_as
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.site import set_point
from tests.support.staffing import staffing

WIDE = {"viewport": {"width": 1366, "height": 900}}
NOT_PAGES = (".pdf", ".bpmn", ".json", ".csv", ".xml", ".png", ".svg")

# Links a page carries in its menu, its top bar and its main content.
LINKS = """() => Array.from(document.querySelectorAll('nav a[href], main a[href]'))
    .filter(a => !a.hasAttribute('download'))
    .map(a => a.href)"""


@pytest.fixture
def site_world(world):
    """A GC and a subcontractor on one project; a GC worker on site with sign-ins and a
    wage draft of November 2026, the GC PM's sign-in point set."""
    s = staffing(world, workers=2)
    worker = s.gc.workers[0]
    sign_ins(s.project, worker, [date(2026, 11, d) for d in range(2, 12)])
    with_card(worker)
    set_point(s.project, s.gc.pm)
    payroll.set_settlement_day(s.gc.pm, s.project, "25")
    batch = payroll.create_batch(s.gc.pm, s.project, "2026-11")
    db.session.commit()
    s.draft = payroll.create_draft(s.gc.pm, s.project, batch.id, "2026-11")
    db.session.commit()
    s.worker = worker
    return s


def check(page, shoot, name: str) -> list[str]:
    """The three checks on the page as it is now; a screenshot of it either way."""
    shoot(page, name)
    problems = []
    overflow = horizontal_overflow(page)
    if overflow:
        problems.append("scrolls sideways: " + overflow)
    shown = raw_ids(page)
    if shown:
        problems.append("shows ids or role keys: " + ", ".join(shown))
    problems += axe_violations(page)
    return problems


def same_origin_pages(page, base: str, links: list[str]) -> list[str]:
    out = []
    for href in links:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base or parts.path.endswith(NOT_PAGES):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url not in out:
            out.append(url)
    return out


def visit(page, url: str, who: str, shoot) -> list[str] | None:
    """The checks on one page; None when the link is not a page (a download)."""
    response = page.goto(url)
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return None
    page.wait_for_load_state("networkidle")
    problems = [] if response.ok else [f"HTTP {response.status}"]
    return problems + check(page, shoot, f"{who}-{url}")


def crawl(page, user, who: str, base: str, shoot, hubs=("/",)) -> dict[str, list[str]]:
    """Logs `user` in, visits each hub page (home first) and every link in its menu and
    its content, once each."""
    log_in_as(page, user)
    found, links = {}, []
    for hub in hubs:
        problems = visit(page, hub, who, shoot)
        found[f"{who} {hub}"] = problems
        links += [url for url in same_origin_pages(page, base, page.evaluate(LINKS)) if url not in links]
    for url in links:
        if f"{who} {url}" not in found:
            problems = visit(page, url, who, shoot)
            if problems is not None:
                found[f"{who} {url}"] = problems
    return found


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n  " + "\n  ".join(problems) for page, problems in found.items() if problems)


def test_every_menu_link_fits_a_phone_reads_in_words_and_passes_axe(site_world, live_server, new_page, shoot):
    s = site_world
    site = f"/projects/{s.project.id}"
    # the PM works on site: the site overview, its payroll and the wage draft as well as the menu
    people = [("worker", s.worker.user, ("/",)),
              ("pm", s.gc.pm, ("/", f"{site}/site/", f"{site}/payroll", f"/payroll/drafts/{s.draft.id}")),
              ("hr", s.gc.hr, ("/",)), ("legal-rep", s.gc.enterprise.legal_rep, ("/",))]
    found = {}
    for who, user, hubs in people:
        page = new_page(phone=True, bypass_csp=True, reduced_motion="reduce")
        found.update(crawl(page, user, who, live_server, shoot, hubs))
        page.context.close()
    visited = list(found)
    # the crawl reached what each of them uses on site, not only the home page
    for expected in ("worker /me/code", "worker /me/signin", "pm /projects/", f"pm {site}/site/scan",
                     "pm /payroll/drafts/", "hr /enterprises/"):
        assert any(v.startswith(expected) for v in visited), (expected, visited)
    assert not report(found), "pages that fail on a 390 px phone:\n" + report(found)


def test_login_code_site_modeler_and_monitor_pass_axe_at_1366(site_world, world, new_page, shoot):
    s = site_world
    analyst = world.user("analyst_a11y", name="李分析", platform_role=roles.ANALYST)
    admin = world.admin()
    separation.apply_resignation(s.gc.workers[1].user, "回老家发展")  # a running instance for the monitor
    db.session.commit()
    found = {}

    page = new_page(bypass_csp=True, reduced_motion="reduce", **WIDE)
    page.goto("/login")
    found["/login"] = check(page, shoot, "login")
    page.locator("[name='username']").fill(s.worker.user.username)
    page.locator("[name='password']").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    found["/login (wrong password)"] = check(page, shoot, "login-refused")

    log_in_as(page, s.worker.user)
    page.goto("/me/code")
    expect(page.get_by_test_id("personal-code")).to_be_visible()
    found["/me/code"] = check(page, shoot, "code")

    log_in_as(page, s.gc.pm)
    page.goto(f"/projects/{s.project.id}/site/")
    found["/projects/…/site/"] = check(page, shoot, "site")

    log_in_as(page, analyst)
    page.goto("/modeler/")
    found["/modeler/"] = check(page, shoot, "modeler-index")
    page.get_by_test_id("process-resignation").get_by_role("link", name="编辑").click()
    expect(page.locator("#modeler[data-ready='true']")).to_have_count(1)
    found["/modeler/resignation/edit"] = check(page, shoot, "modeler-edit")

    log_in_as(page, admin)
    page.goto("/admin/monitor/")
    page.wait_for_load_state("networkidle")
    found["/admin/monitor/"] = check(page, shoot, "monitor")
    shift = layout_shift(page)  # the diagram and the charts have their room before they draw
    if shift >= 0.1:
        found["/admin/monitor/"].append(f"layout shifts while loading: CLS {shift:.2f}")

    assert not report(found), "pages that fail at 1366 px:\n" + report(found)
