"""Bank card numbers (银行卡号): digits, 12-19 long, Luhn check digit."""

import re
import unicodedata

from app.services.i18n import N_

EMPTY = N_("请填写银行卡号")
BAD_CHARS = N_("银行卡号只能包含数字")
BAD_LENGTH = N_("银行卡号应为12至19位数字")
BAD_CHECK = N_("银行卡号校验位不正确")

_DIGITS = re.compile(r"[0-9]+")


def luhn_check_digit(payload: str) -> str:
    """Digit that makes payload + digit pass the Luhn (mod 10) check."""
    if not isinstance(payload, str) or not _DIGITS.fullmatch(payload):
        raise ValueError(BAD_CHARS)
    total = 0
    # Double every second digit counting from the right of the payload,
    # because the check digit will take the rightmost (undoubled) place.
    for i, c in enumerate(reversed(payload)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


def normalize_card_number(raw) -> str:
    """Return the bare digit string or raise ValueError."""
    # Cards are printed and typed in groups, so spaces and hyphens are noise.
    s = unicodedata.normalize("NFKC", raw or "")
    s = "".join(s.split()).replace("-", "")
    if not s:
        raise ValueError(EMPTY)
    if not _DIGITS.fullmatch(s):
        raise ValueError(BAD_CHARS)
    if not 12 <= len(s) <= 19:
        raise ValueError(BAD_LENGTH)
    if luhn_check_digit(s[:-1]) != s[-1]:
        raise ValueError(BAD_CHECK)
    return s


def mask_card_number(number: str) -> str:
    """Display form such as "6222 **** **** 1234"; the length is hidden too."""
    s = "".join((number or "").split()).replace("-", "")
    if len(s) < 12:
        raise ValueError(BAD_LENGTH)
    return f"{s[:4]} **** **** {s[-4:]}"
