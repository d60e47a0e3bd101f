"""Separation forms: 【申请离职】 and 【批量解聘】 (the API validates its bodies with them)."""
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, ValidationError

from app.forms.allocation import IdListField
from app.forms.fields import required, strip

MAX_BATCH = 200


class ResignationForm(FlaskForm):
    """{"reason"}: why the person leaves."""

    reason = TextAreaField(_l("离职原因"), filters=[strip], validators=[
        required("请填写原因"), Length(max=255, message=_l("长度不能超过%(max)d个字符"))])


class DismissalForm(FlaskForm):
    """{"person_ids":[...],"reason"}: 【批量解聘】→【解除聘用关系】."""

    person_ids = IdListField(_l("人员"), default=list)
    reason = TextAreaField(_l("解聘原因"), filters=[strip], validators=[
        required("请填写原因"), Length(max=255, message=_l("长度不能超过%(max)d个字符"))])

    def validate_person_ids(self, field):
        if not field.data:
            raise ValidationError(gettext("请选择人员"))
        if len(field.data) > MAX_BATCH:
            raise ValidationError(gettext("一次最多处理%(num)d人，请分批操作。", num=MAX_BATCH))
