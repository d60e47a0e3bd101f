"""Forms of user tasks, by form key: the task page and the API's complete call
validate with the same class. Diagrams name these keys in a formKey property."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, ValidationError

from app.forms.employment import ConsentForm, EmploymentRegistrationForm, EmploymentRegistrationPageForm
from app.forms.fields import strip


class ApprovalForm(FlaskForm):
    """Approval tasks take {"decision": "agree"|"reject", "comment"?}; a refusal needs a reason."""

    decision = SelectField(_l("处理意见"), choices=[SelectChoice("agree", _l("同意")), SelectChoice("reject", _l("不同意"))],
                           validate_choice=False,
                           validators=[AnyOf(["agree", "reject"], message=_l("请选择同意或不同意"))])
    comment = TextAreaField(_l("意见说明"), filters=[strip],
                            validators=[Length(max=500, message=_l("长度不能超过%(max)d个字符"))])

    def validate_comment(self, field):
        if self.decision.data == "reject" and not field.data:
            raise ValidationError(_l("不同意时请填写原因"))


class DismissalConsentForm(ApprovalForm):
    """解聘确认 by the person: 【同意】 ends the employment ("离职成功"); 不同意 with a reason
    withdraws the dismissal. Not an approval: it is never offered for bulk agreement."""

    @property
    def success_message(self):
        return _l("离职成功") if self.decision.data == "agree" else _l("已拒绝解聘，聘用关系保持不变")


class ConfirmForm(FlaskForm):
    """A task that only needs the user's explicit confirmation ({"confirm": true})."""

    confirm = BooleanField(_l("我确认"))

    def validate_confirm(self, field):
        if not field.data:
            raise ValidationError(_l("请勾选确认"))


class ResignationAgreeForm(FlaskForm):
    """解聘待确认: the enterprise can only agree — a person may leave; if it does not agree
    within the waiting period, the person resigns at once ({"decision": "agree"})."""

    decision = SelectField(_l("处理意见"), choices=[SelectChoice("agree", _l("同意"))], default="agree",
                           validate_choice=False, validators=[AnyOf(
                               ["agree"], message=_l("员工申请离职无需企业批准，只能同意；企业在等待期内未同意的，员工可立即离职"))])
    comment = TextAreaField(_l("意见说明"), filters=[strip],
                            validators=[Length(max=500, message=_l("长度不能超过%(max)d个字符"))])


class SignatureForm(FlaskForm):
    """【去签署】: a PKCS#12 certificate and its password, used once and never stored.
    Its task is completed by the signing call itself (POST .../signatures), which signs
    the summary first; the flow then checks the signature."""

    certificate = FileField(_l("数字证书（.p12/.pfx）"), validators=[FileRequired(message=_l("请上传数字证书"))])
    password = PasswordField(_l("证书密码"), validators=[
        InputRequired(message=_l("请输入证书密码")), Length(max=200, message=_l("长度不能超过%(max)d个字符"))])


TASK_FORMS = {
    "approval": ApprovalForm,
    "dismissal_consent": DismissalConsentForm,
    "signature": SignatureForm,
    "resignation_agree": ResignationAgreeForm,
    "confirm": ConfirmForm,
    "consent": ConsentForm,
    "employment_registration": EmploymentRegistrationForm,
}

# Pages show some task forms in people's units (工资标准 in 元); the API keeps TASK_FORMS.
PAGE_FORMS = {"employment_registration": EmploymentRegistrationPageForm}


def task_data(form) -> dict:
    """The form's values as small JSON-safe task data (dates as ISO strings)."""
    if hasattr(form, "as_task_data"):
        return form.as_task_data()
    data = {}
    for field in form:
        if field.name == "csrf_token":
            continue
        value = field.data
        data[field.name] = value.isoformat() if isinstance(value, date) else value
    return data
