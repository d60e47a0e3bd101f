"""Browser tests: the real app served on a local port, driven by a headless Chromium.

Uses the Debian `chromium` package (never `playwright install`); point the
CHROMIUM environment variable elsewhere to use another binary. Screenshots of
every page a test visits go to artifacts/screenshots/<test name>/NN-<name>.png.

Every page runs under the app's real Content-Security-Policy; a violation of it logged
in the console of any page a test opens fails that test (see `new_page`).
"""
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def pytest_collection_modifyitems(config, items):
    """Every test in this folder drives a browser: mark it so `-m "not browser"` skips them."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app):
    """Serves this test's `app` on 127.0.0.1 at a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.isfile(executable) or not os.access(executable, os.X_OK):
        pytest.fail(f"Chromium not found at {executable!r}: install it with "
                    "`apt-get install -y chromium fonts-wqy-microhei` or set CHROMIUM to its path "
                    "(browser tests never download a browser).", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Chromium logs each CSP violation to the console ("Refused to ... Content Security
# Policy ..."); the init script also reports the DOM's securitypolicyviolation event, so a
# violation is seen even where the browser's own message would not reach Playwright.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
}, true);
"""


def is_csp_violation(message) -> bool:
    return message.type == "error" and ("Content Security Policy" in message.text
                                        or message.text.startswith("CSP violation:"))


@pytest.fixture
def new_page(browser, live_server):
    """A factory of pages, each in its own browser context (its own cookies, so its own user).

    new_page() is a 1280x800 desktop; new_page(phone=True) a 390x844 touch phone.
    Relative URLs (page.goto("/login")) resolve against the live server. Any CSP violation
    in the console of these pages fails the test when it ends.
    """
    contexts, violations = [], []

    def watch(message):
        if is_csp_violation(message):
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def make(*, phone=False, **options):
        settings = {**(PHONE if phone else DESKTOP), "locale": "zh-CN", "base_url": live_server, **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", watch)
        contexts.append(context)
        return context.new_page()

    make.violations = violations  # a test that provokes a violation on purpose reads and clears it
    yield make
    for context in contexts:
        context.close()  # also delivers console messages still on their way
    if violations:
        pytest.fail("Content-Security-Policy violated:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def phone_page(new_page):
    return new_page(phone=True)


@pytest.fixture
def shoot(request):
    """shoot(page, name) saves a full-page screenshot, numbered in the order taken."""
    folder = SCREENSHOTS / re.sub(r"[^\w.\-]+", "_", request.node.name)
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    counter = iter(range(1, 100))

    def take(page, name):
        folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\-]+", "_", name)
        path = folder / f"{next(counter):02d}-{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
