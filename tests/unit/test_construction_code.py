"""Personal construction codes and site codes: signed, short-lived, refused with the
reason; the QR code the app draws decodes back to the token."""
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
import zxingcpp
from itsdangerous import URLSafeTimedSerializer
from PIL import Image

from app.services import construction_code as codes
from app.services.errors import RuleViolation


class Person:  # only the id is read
    id = 4242


class Project:
    id = 77


def read_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].text


def test_a_fresh_code_names_the_person(app):
    code = codes.issue_personal_code(Person)
    assert codes.read_personal_code(code.token) == Person.id
    assert code.expires_at - datetime.now(timezone.utc) <= timedelta(seconds=120)
    assert len(code.token) < 100  # small enough for a robust QR code


def test_expired_at_121_seconds(app):
    start = datetime(2026, 11, 23, 0, 30, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        token = codes.issue_personal_code(Person).token
    with time_machine.travel(start + timedelta(seconds=119), tick=False):
        assert codes.read_personal_code(token) == Person.id
    with time_machine.travel(start + timedelta(seconds=121), tick=False):
        with pytest.raises(RuleViolation) as refused:
            codes.read_personal_code(token)
    assert refused.value.message == codes.CODE_EXPIRED


def _alter(token: str, position: int) -> str:
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1:]


@pytest.mark.parametrize("where", ["payload", "timestamp", "signature"])
def test_one_changed_character_is_refused_as_forged(app, where):
    token = codes.issue_personal_code(Person).token
    payload, timestamp, _signature = token.split(".")
    position = {"payload": 3, "timestamp": len(payload) + 2, "signature": len(payload) + len(timestamp) + 5}[where]
    with pytest.raises(RuleViolation) as refused:
        codes.read_personal_code(_alter(token, position))
    assert refused.value.message == codes.CODE_FORGED


def test_a_code_signed_with_another_key_is_forged(app):
    token = codes.issue_personal_code(Person).token
    app.config["SECRET_KEY"] = "another deployment"
    with pytest.raises(RuleViolation) as refused:
        codes.read_personal_code(token)
    assert refused.value.message == codes.CODE_FORGED


@pytest.mark.parametrize("text", ["", "hello", "https://example.com/?a=b", "a.b", "x" * 500, None, 12,
                                  "<script>.alert(1).x</script>"])
def test_anything_else_is_not_a_code(app, text):
    with pytest.raises(RuleViolation) as refused:
        codes.read_personal_code(text)
    assert refused.value.message == codes.CODE_MALFORMED


def test_a_site_code_is_not_a_personal_code_and_back(app):
    site_token = codes.site_code(Project)
    assert codes.read_site_code(site_token) == Project.id
    with pytest.raises(RuleViolation) as refused:
        codes.read_personal_code(site_token)
    assert refused.value.message == codes.CODE_FORGED
    with pytest.raises(RuleViolation) as refused:
        codes.read_site_code(codes.issue_personal_code(Person).token)
    assert refused.value.message == codes.NOT_A_SITE_CODE


def test_site_codes_do_not_expire(app):
    start = datetime(2026, 11, 23, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        token = codes.site_code(Project)
    with time_machine.travel(start + timedelta(days=400), tick=False):
        assert codes.read_site_code(token) == Project.id


def _rotate(app, new_key: str, *previous: str) -> None:
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = new_key, list(previous)


def test_a_site_code_printed_before_a_rotation_scans_during_the_grace_period_only(app):
    printed = codes.site_code(Project)
    old_key = app.config["SECRET_KEY"]
    _rotate(app, "the new key", old_key)
    assert codes.read_site_code(printed) == Project.id
    reprinted = codes.site_code(Project)
    assert reprinted != printed and codes.read_site_code(reprinted) == Project.id
    _rotate(app, "the new key")  # the grace period is over
    with pytest.raises(RuleViolation) as refused:
        codes.read_site_code(printed, field="site_token")
    assert (refused.value.message, refused.value.field) == (codes.SITE_CODE_RETIRED, "site_token")
    assert refused.value.message == "工地建设码已失效，请项目经理重新打印"
    assert codes.read_site_code(reprinted) == Project.id


def test_a_site_code_names_its_key_by_an_id_that_tells_nothing_of_the_key(app):
    token = codes.site_code(Project)
    payload = URLSafeTimedSerializer("x").load_payload(token.split(".")[0].encode())
    assert payload == {"project": Project.id, "k": codes.key_id(app.config["SECRET_KEY"])}
    assert len(payload["k"]) == 8 and codes.key_id("another key") != payload["k"]
    assert len(token) < 100  # still a robust QR code on paper


def _with_payload(token: str, payload: dict) -> str:
    """The token with its payload replaced and its timestamp and signature kept."""
    segment = URLSafeTimedSerializer("x").dump_payload(payload).decode()  # JSON, base64url
    return segment + token[token.index("."):]


def test_a_forged_key_id_is_refused(app):
    old_key = app.config["SECRET_KEY"]
    _rotate(app, "the new key", old_key)
    token = codes.site_code(Project)
    forged = {
        # the id of the other configured key: checked with that key, whose signature it lacks
        _with_payload(token, {"project": Project.id, "k": codes.key_id(old_key)}): codes.NOT_A_SITE_CODE,
        # another project under the right id: the signature covers the payload
        _with_payload(token, {"project": Project.id + 1, "k": codes.key_id("the new key")}): codes.NOT_A_SITE_CODE,
        # an id no configured key has, or not an id at all
        _with_payload(token, {"project": Project.id, "k": "AAAAAAAA"}): codes.SITE_CODE_RETIRED,
        _with_payload(token, {"project": Project.id, "k": ["AAAAAAAA"]}): codes.SITE_CODE_RETIRED,
        # signed by someone else's key under the current key's id
        URLSafeTimedSerializer("a forger's key", salt="construction-code.site").dumps(
            {"project": Project.id, "k": codes.key_id("the new key")}): codes.NOT_A_SITE_CODE,
    }
    for code, reason in forged.items():
        with pytest.raises(RuleViolation) as refused:
            codes.read_site_code(code)
        assert refused.value.message == reason, code


def test_a_site_code_printed_before_key_ids_still_scans_with_any_configured_key(app):
    old_key = app.config["SECRET_KEY"]
    # how site codes were made before they carried a key id
    printed = URLSafeTimedSerializer(old_key, salt="construction-code.site").dumps({"project": Project.id})
    assert codes.read_site_code(printed) == Project.id
    _rotate(app, "the new key", old_key)
    assert codes.read_site_code(printed) == Project.id
    _rotate(app, "the new key")
    with pytest.raises(RuleViolation) as refused:
        codes.read_site_code(printed)
    assert refused.value.message == codes.NOT_A_SITE_CODE  # without an id, retired looks forged


def test_a_personal_code_on_screen_survives_a_rotation_with_the_old_key_kept(app):
    token = codes.issue_personal_code(Person).token
    old_key = app.config["SECRET_KEY"]
    _rotate(app, "the new key", old_key)
    assert codes.read_personal_code(token) == Person.id
    _rotate(app, "the new key")
    with pytest.raises(RuleViolation) as refused:
        codes.read_personal_code(token)
    assert refused.value.message == codes.CODE_FORGED


def test_the_svg_is_a_qr_code_of_the_token(app):
    token = codes.issue_personal_code(Person).token
    svg = codes.qr_svg(token)
    assert svg.startswith("<svg")
    assert read_qr(svg_to_png(svg)) == token


def svg_to_png(svg: str, pixels_per_module: int = 4) -> bytes:
    """Draws segno's SVG on a bitmap — one path of horizontal strokes ("M x y", "m dx dy",
    "h dx", each stroke one module high centred on y) — so that the test decodes what the
    page shows, not a second rendering of the same text."""
    size = int(re.search(r'width="(\d+)"', svg).group(1))
    scale = int(re.search(r"scale\((\d+)\)", svg).group(1))
    modules = size // scale
    image = Image.new("L", (modules * pixels_per_module, modules * pixels_per_module), 255)
    tokens = re.findall(r"[MmhHvV]|-?\d+(?:\.\d+)?", re.search(r' d="([^"]+)"', svg).group(1))
    x = y = 0.0
    i = 0
    while i < len(tokens):
        command = tokens[i]
        if command in "Mm":
            dx, dy = float(tokens[i + 1]), float(tokens[i + 2])
            x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
            i += 3
        elif command == "h":
            length = float(tokens[i + 1])
            row = int(y - 0.5)
            box = (int(x) * pixels_per_module, row * pixels_per_module,
                   int(x + length) * pixels_per_module, (row + 1) * pixels_per_module)
            image.paste(0, box)
            x += length
            i += 2
        else:
            raise AssertionError(f"unexpected SVG path command {command!r}")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
