"""个人建设码 and 工地建设码: signed tokens shown as QR codes.

A personal construction code names a person and is valid for two minutes (DOMAIN §4);
the phone page regenerates it. A project's site code names the project and does not
expire (it is printed and posted at the gate). Both are itsdangerous tokens signed with
the application's secret key, each kind under its own salt so one cannot stand for the
other. A refused code says why: expired, forged (signature wrong) or not a code at all.

Key rotation (docs/operations.md §5): SECRET_KEY signs; the keys in SECRET_KEY_FALLBACKS
(Flask's own setting, which also keeps sessions valid) are still accepted, never used to
sign. A site code carries the id of the key that signed it — derived from the key, so
there is nothing to name or configure — and is checked with that key only; a code whose
key is no longer configured is refused as retired, so the project manager reprints it.
A site code printed before key ids existed is checked with every configured key.
"""
import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import segno
from flask import current_app
from itsdangerous import BadPayload, BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.services.errors import RuleViolation
from app.services.i18n import N_

PERSONAL_CODE_SECONDS = 120
_PERSONAL, _SITE = "construction-code.person", "construction-code.site"
_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{2,200}\.[A-Za-z0-9_\-]{2,16}\.[A-Za-z0-9_\-]{10,100}$")

CODE_EXPIRED = N_("建设码已过期，请让对方刷新后重新出示")
CODE_FORGED = N_("建设码校验失败，不是本系统签发的有效建设码")
CODE_MALFORMED = N_("无法识别的二维码，请扫描个人建设码")
NOT_A_SITE_CODE = N_("无法识别的二维码，请扫描项目的工地建设码")
SITE_CODE_RETIRED = N_("工地建设码已失效，请项目经理重新打印")


@dataclass(frozen=True)
class PersonalCode:
    token: str
    expires_at: datetime


def _keys() -> list:
    """Every accepted key, the signing key (SECRET_KEY) last, as itsdangerous expects."""
    return [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.config["SECRET_KEY"]]


def _serializer(salt: str, keys=None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_keys() if keys is None else keys, salt=salt)


def key_id(key) -> str:
    """The public name of a signing key: 8 characters of an HMAC under the key, so it is
    the same on every server holding the key and tells nothing about the key itself."""
    raw = key.encode() if isinstance(key, str) else key
    digest = hmac.new(raw, b"construction-code.site key id", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:6]).decode()


def issue_personal_code(person) -> PersonalCode:
    token = _serializer(_PERSONAL).dumps({"p": person.id})
    issued_at = datetime.now(timezone.utc).replace(microsecond=0)
    return PersonalCode(token, issued_at + timedelta(seconds=PERSONAL_CODE_SECONDS))


def _load(token, salt: str, max_age, malformed: str, keys=None) -> dict:
    text = token.strip() if isinstance(token, str) else ""
    if not _SHAPE.match(text):
        raise RuleViolation(malformed, field="token")
    try:
        payload = _serializer(salt, keys).loads(text, max_age=max_age)
    except SignatureExpired:
        raise RuleViolation(CODE_EXPIRED, field="token") from None
    except BadSignature:
        raise RuleViolation(CODE_FORGED, field="token") from None
    if not isinstance(payload, dict):
        raise RuleViolation(CODE_FORGED, field="token")
    return payload


def read_personal_code(token, field: str = "token") -> int:
    """The person id a personal code names; RuleViolation (422) with the reason otherwise."""
    try:
        payload = _load(token, _PERSONAL, PERSONAL_CODE_SECONDS, CODE_MALFORMED)
    except RuleViolation as refusal:
        raise RuleViolation(refusal.message, field=field) from None
    person_id = payload.get("p")
    if not isinstance(person_id, int):
        raise RuleViolation(CODE_FORGED, field=field)
    return person_id


def site_code(project) -> str:
    current = current_app.config["SECRET_KEY"]
    return _serializer(_SITE, [current]).dumps({"project": project.id, "k": key_id(current)})


def _site_keys(token) -> list:
    """The keys a site code may be checked with: the one its key id names (none when that
    key is not configured any more), or every configured key for a code without an id."""
    text = token.strip() if isinstance(token, str) else ""
    if not _SHAPE.match(text):
        return _keys()  # not a code at all: _load says so
    try:
        payload = _serializer(_SITE).load_payload(text.split(".")[0].encode())
    except BadPayload:
        return _keys()  # nor is this: the signature check refuses it
    if not isinstance(payload, dict) or "k" not in payload:
        return _keys()
    return [key for key in _keys() if key_id(key) == payload["k"]]


def read_site_code(token, field: str = "site_token") -> int:
    keys = _site_keys(token)
    if not keys:  # retired, or an invented id: either way only a reprint helps
        raise RuleViolation(SITE_CODE_RETIRED, field=field)
    try:
        payload = _load(token, _SITE, None, NOT_A_SITE_CODE, keys)
    except RuleViolation as refusal:
        message = NOT_A_SITE_CODE if refusal.message == CODE_FORGED else refusal.message
        raise RuleViolation(message, field=field) from None
    project_id = payload.get("project")
    if not isinstance(project_id, int):
        raise RuleViolation(NOT_A_SITE_CODE, field=field)
    return project_id


def qr_svg(text: str, scale: int = 6) -> str:
    """The QR code as an inline SVG document (medium error correction, quiet zone kept)."""
    return segno.make_qr(text, error="m").svg_inline(scale=scale, border=4)
