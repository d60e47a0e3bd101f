"""Amounts typed on pages: people type 元 with at most two decimals ("8000", "8000.50");
the field's data is integer fen, as every table and the API keep money. No page asks
for 分 — a wage typed in 分 by habit was stored 100 times too small."""
import re

from flask_babel import gettext
from wtforms import StringField

_YUAN = re.compile(r"^(\d{1,12})(?:\.(\d{1,2}))?$")


def yuan_to_fen(text: str) -> int | None:
    """"8000" → 800000, "8000.5" → 800050, "8,000.50" → 800050; None when it is not an amount
    of 元 with at most two decimals (so "8000.505", "-1", "abc" and "1e3" are None)."""
    match = _YUAN.match(text.replace(",", "").replace("，", "").strip())
    if match is None:
        return None
    whole, cents = match.groups()
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))


def fen_to_yuan(fen: int | None) -> str:
    """800050 → "8000.50" (the value put back into an input)."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


class YuanField(StringField):
    """An amount in 元 (two decimals at most) whose data is fen; `min_fen`/`max_fen`
    bound it and the refusals say the bounds in 元."""

    def __init__(self, label=None, validators=None, min_fen: int = 1, max_fen: int = 100_000_000,
                 what=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.min_fen, self.max_fen, self.what = min_fen, max_fen, what  # what: the amount's name in messages

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        text = (self.raw or "").strip()
        if not text:
            return
        fen = yuan_to_fen(text)
        if fen is None:
            raise ValueError(gettext("请填写金额（元），最多两位小数，例如 8000 或 8000.50"))
        self.data = fen

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return fen_to_yuan(self.data) if isinstance(self.data, int) else ""

    def post_validate(self, form, validation_stopped):
        if self.errors or validation_stopped:
            return
        if self.data is None:
            self.errors.append(gettext("请填写%(what)s", what=self._what()))
        elif not self.min_fen <= self.data <= self.max_fen:
            self.errors.append(gettext("%(what)s应在%(low)s元至%(high)s元之间", what=self._what(),
                                       low=_grouped(self.min_fen), high=_grouped(self.max_fen)))

    def _what(self) -> str:
        return str(self.what) if self.what else gettext("金额")


def _grouped(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"
