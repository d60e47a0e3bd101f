"""A year's holidays and make-up working days: the administrator's page and the API's
`PUT /admin/calendar/{year}` body ({"holidays": [...], "workdays": [...]}) use one form.
The rules that need the year (every date in it, make-up days on weekends, …) are in
app/services/holidays.py."""
import re
from datetime import date, timedelta

from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.widgets import TextArea

MAX_TOKENS = 100  # what one field may list before ranges are expanded
MAX_RUN = 31  # days in one range: a holiday span is at most nine

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_RANGE = re.compile(r"[ \t\u3000]*(?:~|～|至)[ \t\u3000]*")  # not across lines: those are items


def _one_date(text: str, token: str) -> date:
    match = _DATE.fullmatch(text)
    try:
        return date(*(int(part) for part in match.groups()))
    except (AttributeError, ValueError):
        shown = token[:30] if token.isprintable() else ""  # not a control character in the message
        raise ValueError(gettext("无法识别的日期：%(value)s（应为YYYY-MM-DD）", value=shown)) from None


def parse_days(text: str) -> list[date]:
    """Dates separated by spaces, commas or new lines; a run as 2027-02-06~2027-02-12."""
    tokens = [t for t in _SEPARATORS.split(_RANGE.sub("~", text.strip())) if t]
    if len(tokens) > MAX_TOKENS:
        raise ValueError(gettext("最多填写%(max)d个日期", max=MAX_TOKENS))
    days = []
    for token in tokens:
        first, _, last = token.partition("~")
        start = _one_date(first, token)
        end = _one_date(last, token) if "~" in token else start
        if not 0 <= (end - start).days < MAX_RUN:
            raise ValueError(gettext("日期范围不正确：%(value)s（结束日不能早于开始日，一段最长%(max)d天）",
                                     value=token[:30], max=MAX_RUN))
        days.extend(start + timedelta(days=n) for n in range((end - start).days + 1))
    return days


def as_runs(days) -> str:
    """Sorted dates with consecutive ones joined as runs, one per line, as parse_days reads them."""
    lines, days = [], sorted(days)
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] - days[j] == timedelta(days=1):
            j += 1
        lines.append(days[i].isoformat() if i == j else f"{days[i].isoformat()}~{days[j].isoformat()}")
        i = j + 1
    return "\n".join(lines)


class DateListField(Field):
    """A textarea on the page, a JSON list of YYYY-MM-DD strings in the API."""

    widget = TextArea()

    def __init__(self, label=None, validators=None, max_items: int = MAX_TOKENS, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.openapi_schema = {"type": "array", "items": {"type": "string", "format": "date"},
                               "maxItems": max_items}
        self.raw_text = None

    def process_formdata(self, valuelist):
        # One text for all values, so the cap on dates holds for a JSON list as for the textarea.
        self.raw_text = "\n".join(str(v) for v in valuelist)
        self.data = []  # stays empty when the text is refused
        self.data = parse_days(self.raw_text)

    def process_data(self, value):
        self.data = sorted(value or [])

    def _value(self):
        return self.raw_text if self.raw_text is not None else as_runs(self.data or [])


class CalendarYearForm(FlaskForm):
    holidays = DateListField(
        _l("放假日期"), max_items=60,
        description=_l("国务院办公厅通知中的全部放假日期，含假期中的周六、周日。每行一个日期，连续日期可写成"
                       " 2027-02-06~2027-02-12。"))
    workdays = DateListField(_l("调休上班日期"), max_items=20,
                             description=_l("通知中调整为上班的周六、周日；没有则留空。"))


class CalendarYearPageForm(CalendarYearForm):
    confirm = HiddenField()  # the replacement the administrator confirmed (holidays.replacement_key)
