"""Validators shared by the forms: they wrap the pure identifier checks and
normalise the field's value (e.g. a lower-case x in an ID number becomes X)."""
from flask_babel import gettext, lazy_gettext as _l
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from app.services.i18n import N_


class Normalized:
    """Runs a normaliser from app.services; its ValueError becomes the field's error."""

    def __init__(self, normalizer):
        self.normalizer = normalizer

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = self.normalizer(field.data)
        except ValueError as error:
            raise ValidationError(gettext(str(error))) from None


MAX_ID = 2**31 - 1  # ids are database integers: a larger one names nothing (and SQLite overflows on it)


def an_id(label_msg: str):
    """A record id chosen in a form: 1 .. MAX_ID, else the field's "please choose" message."""
    return NumberRange(min=1, max=MAX_ID, message=_l(label_msg))


def required(label_msg: str = N_("此项为必填项")):
    return DataRequired(message=_l(label_msg))


def max_len(n: int):
    return Length(max=n, message=_l("长度不能超过%(max)d个字符"))


def strip(value):
    return value.strip() if isinstance(value, str) else value
