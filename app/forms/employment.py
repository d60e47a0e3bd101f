"""Employment forms: 【新建聘用关系】 (name + ID number), the person's consent, and
聘用登记 (identity, job type, contract start, wage standard). The two task forms are
registered by form key in app/forms/tasks.py."""
from datetime import datetime

from flask_babel import LazyString, gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, NumberRange, ValidationError

from app.forms.fields import Normalized, max_len, required, strip
from app.forms.money import YuanField
from app.services.idcard import normalize_id_number
from app.services.job_types import JOB_TYPES, MANAGER_CODE, fits_identity

MAX_WAGE_FEN = 1_000_000_000  # ten million yuan: far above any wage, well inside a BIGINT


class HireForm(FlaskForm):
    name = StringField(_l("姓名"), filters=[strip], validators=[required("请填写姓名"), max_len(64)])
    id_number = StringField(_l("身份证号码"), filters=[strip],
                            validators=[required("请填写身份证号码"), Normalized(normalize_id_number)])


class ConsentForm(FlaskForm):
    """The person's answer to a hire request: {"decision": "agree"|"reject", "comment"?}."""

    success_message = _l("已确认")

    decision = RadioField(_l("是否同意聘用"), choices=[SelectChoice("agree", _l("同意")),
                                                      SelectChoice("reject", _l("拒绝"))],
                          validate_choice=False,
                          validators=[AnyOf(["agree", "reject"], message=_l("请选择同意或拒绝"))])
    comment = TextAreaField(_l("备注"), filters=[strip], validators=[max_len(500)])


class IsoDateField(DateField):
    """YYYY-MM-DD only, with the refusal in the user's language."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = datetime.strptime(valuelist[0].strip(), "%Y-%m-%d").date()
            except ValueError:
                raise ValueError(gettext("日期格式应为YYYY-MM-DD，且须为真实日期")) from None


class WholeNumberField(IntegerField):
    """Digits only: "3000000" is taken, "3000000.5" or "3e6" is refused (money is integer fen)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            text = valuelist[0].strip()
            if not text.lstrip("-").isdigit() or len(text) > 15:
                raise ValueError(gettext("请填写整数金额（单位：分）"))
            self.data = int(text)


def job_type_choices() -> list:
    return [SelectChoice(code, LazyString(lambda code=code, name=name: f"{code} {gettext(name)}"))  # at request time
            for code, name in JOB_TYPES.items()]


class EmploymentRegistrationForm(FlaskForm):
    """聘用登记: {"identity", "job_type", "contract_start", "wage_standard_fen"}."""

    success_message = _l("聘用成功")

    identity = RadioField(_l("身份"), choices=[SelectChoice("worker", _l("建筑工人")),
                                              SelectChoice("manager", _l("管理人员"))],
                          validate_choice=False,
                          validators=[AnyOf(["worker", "manager"], message=_l("请选择身份：建筑工人或管理人员"))])
    job_type = SelectField(_l("工种"), choices=job_type_choices(), validate_choice=False,
                           validators=[AnyOf(list(JOB_TYPES), message=_l("请从工种列表中选择"))],
                           description=_l("管理人员选择“900 管理人员”"))
    contract_start = IsoDateField(_l("合同开始日期"), format="%Y-%m-%d",
                                  validators=[required("请填写合同开始日期")], description=_l("格式：YYYY-MM-DD"))
    wage_standard_fen = WholeNumberField(
        _l("工资标准（单位：分，100分=1元）"),
        validators=[required("请填写工资标准"),
                    NumberRange(min=1, max=MAX_WAGE_FEN, message=_l("工资标准应为1至1000000000分之间的整数"))],
        description=_l("例如 3000000 即 30,000.00 元"))

    def validate_job_type(self, field):
        if self.identity.data in ("worker", "manager") and field.data in JOB_TYPES \
                and not fits_identity(self.identity.data, field.data):
            if self.identity.data == "manager":
                raise ValidationError(gettext("管理人员的工种应为“%(code)s 管理人员”", code=MANAGER_CODE))
            raise ValidationError(gettext("建筑工人不能选择“管理人员”工种"))


MAX_PAGE_WAGE_FEN = 100_000_000  # ¥1,000,000.00: above any monthly or daily wage, below a typo's zeros


class EmploymentRegistrationPageForm(EmploymentRegistrationForm):
    """聘用登记 on a page: the same terms with 工资标准 typed in 元 (two decimals at most),
    handed to the flow as wage_standard_fen, the data the API takes."""

    wage_standard_fen = None
    # InputRequired, not DataRequired: "2026-02-30" keeps its own error instead of "请填写…"
    contract_start = IsoDateField(_l("合同开始日期"), format="%Y-%m-%d", description=_l("格式：YYYY-MM-DD"),
                                  validators=[InputRequired(message=_l("请填写合同开始日期"))])
    wage_standard = YuanField(_l("工资标准（元）"), min_fen=1, max_fen=MAX_PAGE_WAGE_FEN, what=_l("工资标准"),
                              description=_l("单位：元，最多两位小数，例如 8000 或 8000.50"))

    def as_task_data(self) -> dict:
        return {"identity": self.identity.data, "job_type": self.job_type.data,
                "contract_start": self.contract_start.data.isoformat(),
                "wage_standard_fen": self.wage_standard.data}
