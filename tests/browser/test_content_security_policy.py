"""The Content-Security-Policy in a real Chromium: an inline script or handler slipped into
a page does not run (and the console check of conftest.py sees the attempt), while the
bpmn-js modeler's own inline-styled icons — allowed by hash — still render."""
from playwright.sync_api import expect

from app.services import roles
from tests.browser.steps.session import log_in_as
from tests.browser.test_modeler import open_editor, select_element

INJECTED = ('<script>window.ranScript = true;</script>'
            '<button id="injected" onclick="window.ranHandler = true">x</button>'
            '<a id="injected-link" href="javascript:window.ranLink = true">y</a>')


def test_an_injected_inline_script_and_handler_do_not_run(new_page):
    page = new_page()

    def inject(route):
        response = route.fetch()  # the app's real answer, headers (and so its CSP) included
        route.fulfill(response=response, body=response.text().replace("</main>", INJECTED + "</main>"))

    page.route("**/login", inject)
    page.goto("/login")
    page.locator("#injected").click()
    page.locator("#injected-link").click()
    assert page.evaluate("[window.ranScript, window.ranHandler, window.ranLink]") == [None, None, None]
    page.wait_for_timeout(200)  # let the last console messages arrive
    seen = "\n".join(new_page.violations)
    assert "script-src" in seen and "inline" in seen, seen
    new_page.violations.clear()  # provoked on purpose: not a failure of this test


def test_the_modelers_align_menu_draws_its_icons_under_the_policy(world, new_page):
    analyst = world.user("analyst_csp", name="严分析", platform_role=roles.ANALYST)
    page = new_page()
    log_in_as(page, analyst)
    open_editor(page)
    select_element(page, "enterprise_agree")
    page.locator(".djs-element[data-element-id='complete_by_enterprise'] .djs-hit").first.click(
        force=True, modifiers=["Shift"])
    page.locator(".djs-context-pad [data-action='align-elements']").click()
    icons = page.locator(".djs-popup svg rect")
    expect(icons.first).to_be_visible()
    # the icons' style="fill:none;..." applied: blocked, the rectangles would be filled black
    fills = icons.evaluate_all("rects => rects.map(r => getComputedStyle(r).fill)")
    assert "none" in fills, fills


def test_the_declared_page_actions_run_from_the_static_file(new_page):
    """page-actions.js stands in for the removed on...= handlers: data-print prints."""
    page = new_page()
    page.add_init_script("window.print = function () { window.printed = true; };")

    def add_button(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(
            "</main>", '<button type="button" id="print-it" data-print>打印</button></main>'))

    page.route("**/login", add_button)
    page.goto("/login")
    page.locator("#print-it").click()
    assert page.evaluate("window.printed") is True
