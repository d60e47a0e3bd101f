"""What every page must pass, measured in the browser: it fits the screen's width, it shows
words and not raw ids or role keys, and axe-core (vendored from npm, tests/support/axe-core)
finds no serious or critical WCAG violation. Each check returns problems as text, so a
crawl can report every page that fails, not only the first."""
import re
from pathlib import Path

from app.handlers.lanes import LANES
from app.services import roles

AXE = Path(__file__).resolve().parents[2] / "support" / "axe-core" / "axe.min.js"

# Role and lane keys are code; a user must read 项目经理, never project_manager.
ROLE_KEYS = sorted(set(roles.PLATFORM_ROLES + roles.ENTERPRISE_ROLES + roles.PROJECT_ROLES) | set(LANES))
RAW_ID = re.compile(r"编号\s*[:：]?\s*\d+|#\d+|企业\s*#|(?<![\w-])(" + "|".join(ROLE_KEYS) + r")(?![\w-])")


def horizontal_overflow(page) -> str | None:
    """The page is wider than the screen: the user would have to scroll sideways."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        return f"{widths[0]} px wide on a {widths[1]} px screen"
    return None


def raw_ids(page) -> list[str]:
    """Raw ids and role keys in the text a user sees."""
    text = page.evaluate("document.body.innerText")
    return sorted({m.group(0) for m in RAW_ID.finditer(text)})


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's WCAG 2.1 A/AA and best-practice rules on the page as it is now; the
    context must bypass the CSP (bypass_csp=True) for the injected script to run."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))}));
    }""")
    return [f"{v['impact']} {v['id']} ({v['help']}): " + "; ".join(v["nodes"])
            for v in results if v["impact"] in impacts]


def layout_shift(page) -> float:
    """Cumulative layout shift so far (shifts right after user input do not count)."""
    return page.evaluate("""() => new Promise(resolve => {
        let total = 0;
        new PerformanceObserver(list => {
            for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
        }).observe({type: "layout-shift", buffered: true});
        setTimeout(() => resolve(total), 300);
    })""")
