"""Mainland China mobile numbers (手机号码)."""

import re
import unicodedata

from app.services.i18n import N_

EMPTY = N_("请填写手机号码")
BAD_FORMAT = N_("手机号码应为以1开头的11位数字")

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# The country code is only dropped when a full 11-digit number follows it.
_PREFIXED = re.compile(r"\+?86([0-9]{11})")


def normalize_mobile(raw) -> str:
    """Return the bare 11-digit number or raise ValueError."""
    s = unicodedata.normalize("NFKC", raw or "")
    s = "".join(s.split()).replace("-", "")
    if not s:
        raise ValueError(EMPTY)
    prefixed = _PREFIXED.fullmatch(s)
    if prefixed:
        s = prefixed.group(1)
    if not _MOBILE.fullmatch(s):
        raise ValueError(BAD_FORMAT)
    return s
