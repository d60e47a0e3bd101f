"""Sign-up, login, password and role forms; the same classes validate pages and API JSON."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, Length, Regexp

from app.forms.fields import Normalized, max_len, required, strip
from app.services.mobile import normalize_mobile
from app.services.roles import PLATFORM_ROLES, ROLE_LABELS

USERNAME = Regexp(r"^[A-Za-z0-9_.\-]{3,32}$", message=_l("用户名为3至32位字母、数字、下划线、点或连字符"))
PASSWORD_RULE = Regexp(r"^(?=.*[A-Za-z])(?=.*\d).{8,128}$", message=_l("密码至少8位，须同时包含字母和数字"))


class SignUpForm(FlaskForm):
    username = StringField(_l("用户名"), filters=[strip], validators=[required("请填写用户名"), USERNAME])
    password = PasswordField(_l("密码"), validators=[required("请填写密码"), PASSWORD_RULE])
    name = StringField(_l("姓名"), filters=[strip], validators=[required("请填写姓名"), max_len(64)])
    phone = StringField(_l("手机号码"), filters=[strip],
                        validators=[required("请填写手机号码"), Normalized(normalize_mobile)])


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), filters=[strip], validators=[required("请填写用户名"), max_len(64)])
    password = PasswordField(_l("密码"), validators=[required("请填写密码"), Length(max=128)])


class ChangePasswordForm(FlaskForm):
    """PUT /me/password; the page adds the repeated new password."""

    current_password = PasswordField(_l("当前密码"), validators=[required("请填写当前密码"), Length(max=128)])
    new_password = PasswordField(_l("新密码"), validators=[required("请填写新密码"), PASSWORD_RULE])


class ChangePasswordPageForm(ChangePasswordForm):
    confirm_password = PasswordField(_l("再次输入新密码"), validators=[
        required("请再次输入新密码"), EqualTo("new_password", message=_l("两次输入的新密码不一致"))])


class PlatformRoleForm(FlaskForm):
    username = StringField(_l("用户名"), filters=[strip], validators=[required("请填写用户名"), max_len(64)])
    role = SelectField(_l("角色"), choices=[SelectChoice(r, _l(ROLE_LABELS[r])) for r in PLATFORM_ROLES],
                       validate_choice=True)


