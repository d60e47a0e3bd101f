"""【重新推送】 of an outbox message (the GC PM on the batch page, an administrator in the
monitor): why, for the audit log."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from app.forms.fields import max_len, required, strip


class RedeliverForm(FlaskForm):
    reason = TextAreaField(_l("重新推送原因"), filters=[strip],
                           validators=[required("请填写重新推送原因"), max_len(255)])
