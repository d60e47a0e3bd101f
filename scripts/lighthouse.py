"""Lighthouse's accessibility and best-practices scores for the five pages issue 19 names
(login, the worker's code, the site overview, the modeler, the monitor), against a
running `make demo`. A measurement, not a test: it prints each page's scores and every
audit that did not pass.

    make demo PORT=5055 &                      # in another shell
    npm install --prefix /tmp/lh lighthouse@12  # once; from the npm registry
    .venv/bin/python scripts/lighthouse.py --base http://127.0.0.1:5055 --lighthouse /tmp/lh/node_modules/.bin/lighthouse
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

PASSWORD = "demo2026"
# page, who looks at it (None: nobody logged in), the path (the demo's first project is 1)
PAGES = [("login", None, "/login"), ("code", "worker1", "/me/code"), ("site", "gc_pm", "/projects/1/site/"),
         ("modeler", "analyst", "/modeler/"), ("editor", "analyst", "/modeler/resignation/edit"),
         ("monitor", "admin", "/admin/monitor/")]
CATEGORIES = ("accessibility", "best-practices")


def session_cookie(base: str, username: str) -> str:
    """Logs in through the login form (CSRF token and all) and returns the Cookie header."""
    jar = CookieJar()
    browser = build_opener(HTTPCookieProcessor(jar))
    form = browser.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    browser.open(f"{base}/login", urlencode({"csrf_token": token, "username": username,
                                             "password": PASSWORD}).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def audit(lighthouse: str, url: str, cookie: str | None, chrome: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "report.json")
        command = [lighthouse, url, "--quiet", "--output=json", f"--output-path={report}",
                   f"--only-categories={','.join(CATEGORIES)}", f"--chrome-path={chrome}",
                   "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": chrome})
        with open(report) as f:
            return json.load(f)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--lighthouse", default="lighthouse")
    parser.add_argument("--chrome", default="/usr/bin/chromium")
    args = parser.parse_args()
    perfect = True
    for name, user, path in PAGES:
        result = audit(args.lighthouse, args.base + path, session_cookie(args.base, user) if user else None,
                       args.chrome)
        if result.get("finalDisplayedUrl", "").rstrip("/").endswith("/login") and path != "/login":
            print(f"{name}: ended on the login page — the session cookie was not accepted", file=sys.stderr)
            return 2
        scores = {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}
        print(f"{name:8} {path:28} " + "  ".join(f"{c} {s}" for c, s in scores.items()))
        for category in CATEGORIES:
            for ref in result["categories"][category]["auditRefs"]:
                found = result["audits"][ref["id"]]
                if ref["weight"] and found["score"] is not None and found["score"] < 1:
                    perfect = False
                    print(f"    {category}: {ref['id']} — {found['title']}")
    return 0 if perfect else 1


if __name__ == "__main__":
    sys.exit(main())
