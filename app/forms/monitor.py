"""The process monitor's forms: every action is a POST with a CSRF token."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from app.forms.fields import max_len, required, strip


class ActionForm(FlaskForm):
    """Suspend, resume, retry, migrate, fire a timer: nothing to fill in but the token."""


class ReassignForm(FlaskForm):
    username = StringField(_l("指派给（用户名）"), filters=[strip],
                           validators=[required("请填写用户名"), max_len(64)])
