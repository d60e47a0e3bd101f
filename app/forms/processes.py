"""Administrator forms for process instances."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from app.forms.fields import max_len, required, strip


class TerminateForm(FlaskForm):
    reason = TextAreaField(_l("终止原因"), filters=[strip], validators=[required("请填写终止原因"), max_len(500)])
