"""Payroll forms (the API validates its JSON bodies with the same classes)."""
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp, ValidationError

from app.forms.allocation import IdListField
from app.forms.employment import IsoDateField, WholeNumberField
from app.forms.fields import an_id, required, strip
from app.services.payroll import MAX_FEN

_MONTH = Regexp(r"^20\d\d-(0[1-9]|1[0-2])$", message=_l("工资月份格式应为 YYYY-MM"))


class SettlementDayForm(FlaskForm):
    """{"settlement_day": 1..28 | "month_end"}."""

    settlement_day = StringField(_l("结算日"), filters=[strip], validators=[
        required("请选择结算日"), Regexp(r"^([1-9]|1\d|2[0-8]|month_end)$", message=_l("结算日须为 1 到 28 日，或“月末”"))])


class BatchForm(FlaskForm):
    """{"pay_month"}: 【新增银行交换批次号】."""

    pay_month = StringField(_l("工资月份"), filters=[strip], validators=[required("请选择工资月份"), _MONTH])


MAX_LEFT_OUT = 100  # a project has a handful of units; more ids than this is not a choice


class UnitIdsField(IdListField):
    """Enterprise ids: the dialog's ticked boxes, or the API's JSON list."""

    openapi_schema = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": MAX_LEFT_OUT}

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(gettext("请选择本期不纳入的单位")) from None


class SummaryForm(FlaskForm):
    """{"pay_date"?, "without"?: [enterprise_id, ...]}: 【生成汇总表】 with the 发放日期 (today
    when left out) and the units whose workers signed in but that the PM leaves out."""

    pay_date = IsoDateField(_l("发放日期"), format="%Y-%m-%d", validators=[Optional()])
    without = UnitIdsField(_l("本期不纳入的单位"), default=list)

    def validate_without(self, field):
        if len(field.data) > MAX_LEFT_OUT:
            raise ValidationError(gettext("请选择本期不纳入的单位"))


class DraftForm(FlaskForm):
    """{"pay_month","batch_id","enterprise_id"?}: 【新增编制】."""

    pay_month = StringField(_l("工资月份"), filters=[strip], validators=[required("请选择工资月份"), _MONTH])
    batch_id = IntegerField(_l("银行交换批次号"), validators=[required("请选择银行交换批次号"),
                                                        an_id("请选择银行交换批次号")])
    enterprise_id = IntegerField(_l("编制单位"), validators=[Optional(), an_id("请选择编制单位")])


class LineForm(FlaskForm):
    """{"gross_fen","deductions_fen"}: 应发 and 扣款 in fen."""

    gross_fen = WholeNumberField(_l("应发工资（分）"), validators=[
        InputRequired(message=_l("请填写应发工资")),
        NumberRange(min=0, max=MAX_FEN, message=_l("金额须为 0 到 1000 万元之间的整数分"))])
    deductions_fen = WholeNumberField(_l("扣款（分）"), default=0, validators=[
        Optional(), NumberRange(min=0, max=MAX_FEN, message=_l("金额须为 0 到 1000 万元之间的整数分"))])
