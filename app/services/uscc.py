"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

Only the character set, length and MOD 31 check character are verified;
the embedded region and organisation codes are not, since registries
issue codes we cannot otherwise validate offline.
"""

import unicodedata

from app.services.i18n import N_

EMPTY = N_("请填写统一社会信用代码")
BAD_LENGTH = N_("统一社会信用代码应为18位")
BAD_CHARS = N_("统一社会信用代码含有不允许的字符")
BAD_CHECK = N_("统一社会信用代码校验位不正确")

# I, O, Z, S, V are excluded by the standard (confusable with 1, 0, 2, 5, U).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
# Weight of position i is 3**i mod 31.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    if not isinstance(first17, str) or len(first17) != 17:
        raise ValueError(BAD_LENGTH)
    if any(c not in VALUES for c in first17):
        raise ValueError(BAD_CHARS)
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(raw) -> str:
    """Return the canonical upper-case 18-character code or raise ValueError."""
    # NFKC turns full-width input from Chinese IMEs into ASCII.
    s = "".join(unicodedata.normalize("NFKC", raw or "").split()).upper()
    if not s:
        raise ValueError(EMPTY)
    if len(s) != 18:
        raise ValueError(BAD_LENGTH)
    if any(c not in VALUES for c in s):
        raise ValueError(BAD_CHARS)
    if check_character(s[:17]) != s[17]:
        raise ValueError(BAD_CHECK)
    return s
