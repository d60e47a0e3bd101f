"""Enterprise, project and participant forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, FormField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Regexp

from app.forms.fields import Normalized, an_id, max_len, required, strip
from app.models.projects import LABOR_SUBCONTRACTOR, SPECIALIST_SUBCONTRACTOR
from app.services.uscc import normalize_uscc

SUBCONTRACTOR_KINDS = [
    SelectChoice(LABOR_SUBCONTRACTOR, _l("劳务分包")),
    SelectChoice(SPECIALIST_SUBCONTRACTOR, _l("专业分包")),
]


class EnterpriseForm(FlaskForm):
    name = StringField(_l("企业名称"), filters=[strip], validators=[required("请填写企业名称"), max_len(128)])
    uscc = StringField(_l("统一社会信用代码"), filters=[strip],
                       validators=[required("请填写统一社会信用代码"), Normalized(normalize_uscc)])
    legal_rep_username = StringField(_l("法人账号（用户名）"), filters=[strip],
                                     validators=[required("请填写法人的用户名"), max_len(64)])


class HrAdminForm(FlaskForm):
    username = StringField(_l("用户名"), filters=[strip], validators=[required("请填写用户名"), max_len(64)])


class WageAccountForm(Form):
    """农民工工资专用账户 — nested as ``wage_account`` in the API."""

    bank_name = StringField(_l("开户银行"), filters=[strip], validators=[required("请填写开户银行"), max_len(64)])
    account_no = StringField(_l("账号"), filters=[lambda v: v.replace(" ", "") if isinstance(v, str) else v],
                             validators=[required("请填写工资专用账户账号"),
                                         Regexp(r"^\d{8,32}$", message=_l("账号应为8至32位数字"))])
    account_name = StringField(_l("户名"), filters=[strip], validators=[required("请填写账户户名"), max_len(128)])


class ProjectForm(FlaskForm):
    code = StringField(_l("项目编号"), filters=[strip],
                       validators=[required("请填写项目编号"),
                                   Regexp(r"^[A-Za-z0-9\-]{2,32}$", message=_l("项目编号为2至32位字母、数字或连字符"))])
    name = StringField(_l("项目名称"), filters=[strip], validators=[required("请填写项目名称"), max_len(128)])
    address = StringField(_l("项目地址"), filters=[strip], validators=[required("请填写项目地址"), max_len(255)])
    gc_enterprise_id = IntegerField(_l("施工总包单位"), validators=[required("请选择施工总包单位"),
                                                                an_id("请选择施工总包单位")])
    wage_account = FormField(WageAccountForm, label=_l("农民工工资专用账户"))


class ParticipantForm(FlaskForm):
    enterprise_id = IntegerField(_l("参建企业"), validators=[required("请选择参建企业"), an_id("请选择参建企业")])
    kind = SelectField(_l("参建类型"), choices=SUBCONTRACTOR_KINDS, validate_choice=True)


class ParticipantByUsccForm(FlaskForm):
    """The page names the subcontractor by its USCC, so no list of every enterprise
    on the platform is shown to a general contractor."""

    uscc = StringField(_l("分包单位统一社会信用代码"), filters=[strip],
                       validators=[required("请填写统一社会信用代码"), Normalized(normalize_uscc)])
    kind = SelectField(_l("参建类型"), choices=SUBCONTRACTOR_KINDS, validate_choice=True)
