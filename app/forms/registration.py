"""Personal information registration, the data center's decision, the bank card.
The same classes validate the pages and the API (multipart or JSON)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional, ValidationError

from app.forms.fields import Normalized, max_len, required, strip
from app.services.bankcard import normalize_card_number
from app.services.idcard import normalize_id_number
from app.services.mobile import normalize_mobile


class RegistrationForm(FlaskForm):
    name = StringField(_l("姓名"), filters=[strip], validators=[required("请填写姓名"), max_len(64)])
    id_number = StringField(_l("身份证号码"), filters=[strip],
                            validators=[required("请填写身份证号码"), Normalized(normalize_id_number)])
    phone = StringField(_l("手机号码"), filters=[strip],
                        validators=[required("请填写手机号码"), Normalized(normalize_mobile)])
    id_front = FileField(_l("身份证国徽面"), validators=[FileRequired(_l("请上传身份证国徽面图片"))])
    id_back = FileField(_l("身份证人像面"), validators=[FileRequired(_l("请上传身份证人像面图片"))])
    agree_notice = BooleanField(_l("我已阅读以上填报须知"), validators=[required("请先阅读并勾选填报须知")])


class ApiRegistrationForm(RegistrationForm):
    """The phone app may leave the phone out: the account's phone is used."""

    phone = StringField(_l("手机号码"), filters=[strip], validators=[Optional(), Normalized(normalize_mobile)])


class DecisionForm(FlaskForm):
    """The data center's 【通过】 / 【不通过】 on one registration; a refusal needs a reason."""

    decision = SelectField(_l("审核结果"), choices=[SelectChoice("verify", _l("通过")),
                                                 SelectChoice("reject", _l("不通过"))],
                           validate_choice=False,
                           validators=[AnyOf(["verify", "reject"], message=_l("请选择通过或不通过"))])
    reason = TextAreaField(_l("不通过原因"), filters=[strip],
                           validators=[Length(max=255, message=_l("长度不能超过%(max)d个字符"))])

    def validate_reason(self, field):
        if self.decision.data == "reject" and not field.data:
            raise ValidationError(_l("请填写不通过的原因"))


class BankCardForm(FlaskForm):
    bank_name = StringField(_l("开户银行"), filters=[strip], validators=[required("请填写开户银行"), max_len(64)])
    card_number = StringField(_l("银行卡号"), filters=[strip],
                              validators=[required("请填写银行卡号"), Normalized(normalize_card_number)])
