"""Resident ID numbers (居民身份证号码, GB 11643-1999).

Pure functions, standard library only, so forms, importers and tests share
one definition of "valid". Messages are constant literals: they are gettext
msgids and must not have values formatted into them.
"""

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

from app.services.i18n import N_

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    SHANGHAI = ZoneInfo("Asia/Shanghai")
except (ImportError, ZoneInfoNotFoundError):  # no tz database installed
    # Shanghai has had a fixed UTC+8 offset without DST since 1991.
    SHANGHAI = timezone(timedelta(hours=8))

EMPTY = N_("请填写身份证号码")
BAD_FORMAT = N_("身份证号码应为18位")
BAD_REGION = N_("身份证号码地区码无效")
BAD_BIRTH_DATE = N_("身份证号码中的出生日期无效")
BAD_CHECK = N_("身份证号码校验位不正确")
BEFORE_BIRTH = N_("日期早于出生日期")

# Weight of position i is 2**(17-i) mod 11 (ISO 7064 MOD 11-2).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
EARLIEST_BIRTH = date(1900, 1, 1)

_FIRST17 = re.compile(r"[0-9]{17}")
_FULL = re.compile(r"[0-9]{17}[0-9X]")


def _today_in_shanghai() -> date:
    # Not date.today(): the server may run in UTC, and "today" for a
    # Shanghai site changes at 16:00 UTC.
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


def check_character(first17: str) -> str:
    if not isinstance(first17, str) or not _FIRST17.fullmatch(first17):
        raise ValueError(BAD_FORMAT)
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def _clean(raw) -> str:
    # NFKC turns full-width input from Chinese IMEs (１２３ｘ) into ASCII.
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def normalize_id_number(raw) -> str:
    """Return the canonical 18-character form or raise ValueError."""
    s = _clean(raw)
    if not s:
        raise ValueError(EMPTY)
    if not _FULL.fullmatch(s):
        raise ValueError(BAD_FORMAT)
    if s[0] not in "12345678":
        raise ValueError(BAD_REGION)
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise ValueError(BAD_BIRTH_DATE) from None
    if not EARLIEST_BIRTH <= born <= _today_in_shanghai():
        raise ValueError(BAD_BIRTH_DATE)
    if check_character(s[:17]) != s[17]:
        raise ValueError(BAD_CHECK)
    return s


def birth_date(id_number: str) -> date:
    s = normalize_id_number(id_number)
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def sex(id_number: str) -> str:
    # The 17th character is the sequence number: odd for men, even for women.
    return "male" if int(normalize_id_number(id_number)[16]) % 2 else "female"


def age_on(id_number: str, on: date) -> int:
    """Full years on `on`; a 29 Feb birthday counts from 1 Mar in common years."""
    born = birth_date(id_number)
    if on < born:
        raise ValueError(BEFORE_BIRTH)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def mask_id_number(id_number: str) -> str:
    """Keep the region prefix and last four for display, e.g. 3101**********1234."""
    s = _clean(id_number)
    if len(s) != 18:
        raise ValueError(BAD_FORMAT)
    return s[:4] + "*" * 10 + s[-4:]
