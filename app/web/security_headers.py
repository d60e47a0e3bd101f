"""Security headers on every response, built with the `secure` package.

- Content-Security-Policy: scripts only from this origin's files (or carrying this
  request's nonce: ``<script nonce="{{ csp_nonce() }}">``) — no inline script, no on...=
  handler, no ``javascript:`` URL, no eval. Styles only from this origin's stylesheets;
  the one exception is the handful of ``style=""`` attributes that bpmn-js's modeler
  writes into its align-elements menu, allowed by their hashes (CSSOM writes such as
  ``element.style.width = ...``, which Bootstrap and bpmn-js use, need no permission).
- ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (no clickjacking of the
  sign and approve buttons), ``X-Content-Type-Options: nosniff`` (API JSON included),
  ``Referrer-Policy: same-origin`` (ids in our URLs never leave the site),
  ``Permissions-Policy`` (camera and geolocation for this origin only: QR scanning and
  sign-in location), and HSTS only when SESSION_COOKIE_SECURE says the site is HTTPS.

A header a view set itself (the sandbox CSP of a downloaded diagram) is kept.
"""
import base64
import hashlib
import secrets
from functools import cache

from flask import Flask, Response, current_app, has_request_context, request
from secure import (ContentSecurityPolicy, PermissionsPolicy, ReferrerPolicy, Secure, StrictTransportSecurity,
                    XContentTypeOptions, XFrameOptions)

SELF, NONE = "'self'", "'none'"
NONCE_KEY = "realname.csp_nonce"
NONCE_SLOT = "NONCE-SLOT"  # where a request's nonce goes in the prebuilt policy
HSTS_SECONDS = 365 * 24 * 60 * 60
# The style="" values in app/static/vendor/bpmn-js/bpmn-modeler.production.min.js (the icons
# of the align-elements menu); tests/web/test_security_headers.py checks the list against it.
BPMN_JS_STYLE_ATTRIBUTES = (
    "fill:currentColor;stroke:currentColor;stroke-width:100;opacity:.5;",
    "fill:none;stroke:currentColor;stroke-width:100;",
    "fill:none;stroke:currentColor;stroke-width:100;stroke-linejoin:round;",
    "stroke:currentColor;stroke-width:100;stroke-linecap:round;",
)


def install(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_add_headers)


def csp_nonce() -> str:
    """This request's script nonce, the same for every call within one request.

    Kept in the request's environ, not in `g`: `g` belongs to the app context, which
    requests share whenever one was already pushed (a CLI command, a test)."""
    if not has_request_context():
        return ""  # a template rendered outside a request gets no policy to match
    if NONCE_KEY not in request.environ:
        request.environ[NONCE_KEY] = secrets.token_urlsafe(18)  # 144 random bits
    return request.environ[NONCE_KEY]


def _style_hash(value: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(value.encode()).digest()).decode() + "'"


STYLE_ATTRIBUTE_HASHES = tuple(_style_hash(v) for v in BPMN_JS_STYLE_ATTRIBUTES)


def content_security_policy(nonce: str) -> ContentSecurityPolicy:
    return (ContentSecurityPolicy()
            .default_src(NONE)
            .script_src(SELF, ContentSecurityPolicy.nonce(nonce))
            .style_src(SELF)
            # 'unsafe-hashes' lets a hash match an attribute; only these exact values pass
            .style_src_attr("'unsafe-hashes'", *STYLE_ATTRIBUTE_HASHES)
            .img_src(SELF, "data:")  # Bootstrap's and bpmn-js's icons are data: SVGs in their CSS
            .font_src(SELF)  # the bpmn-font of the modeler's palette
            .connect_src(SELF)  # fetch() of diagrams, the modeler's checks, the personal code
            .form_action(SELF)
            .base_uri(NONE)
            .object_src(NONE)
            .frame_ancestors(NONE))


def _headers(https: bool) -> Secure:
    hsts = StrictTransportSecurity().max_age(HSTS_SECONDS) if https else None
    return Secure(
        csp=content_security_policy(NONCE_SLOT),
        xfo=XFrameOptions().deny(),
        xcto=XContentTypeOptions().nosniff(),
        referrer=ReferrerPolicy().same_origin(),
        permissions=PermissionsPolicy().camera("self").geolocation("self").microphone().payment().usb(),
        hsts=hsts,
    )


@cache
def _header_items(https: bool) -> tuple[tuple[str, str], ...]:
    """The headers, built once: only the nonce changes from one request to the next."""
    return tuple(_headers(https).header_items())


def _add_headers(response: Response) -> Response:
    nonce = csp_nonce()
    for name, value in _header_items(current_app.config["SESSION_COOKIE_SECURE"]):
        response.headers.setdefault(name, value.replace(NONCE_SLOT, nonce))
    return response
