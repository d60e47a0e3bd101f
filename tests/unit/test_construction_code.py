"""Personal construction codes and site codes: signed, short-lived, refused with the
reason; the QR code the app draws decodes back to the token."""
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
import zxingcpp
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
