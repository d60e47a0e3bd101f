"""On-site forms: the scanner, the worker's sign-in and site-code attendance, the
sign-in point, sign-in officers and exits. The API validates its JSON bodies with the
same classes."""
import math

from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, ValidationError

from app.forms.allocation import IdListField
from app.forms.fields import an_id, required, strip
from app.services import geo
from app.services.signin import DEFAULT_RADIUS_M, MAX_RADIUS_M, MIN_RADIUS_M

TOKEN_MAX = 400  # a construction code is about 60 characters; anything far longer is not one

_PURPOSES = [SelectChoice("entry", _l("确认进场")), SelectChoice("clock_in", _l("上班打卡")),
             SelectChoice("clock_out", _l("下班打卡")), SelectChoice("signin", _l("班前签到"))]
_SYSTEMS = [SelectChoice(geo.GCJ02, _l("GCJ-02（高德、腾讯等国内地图）")), SelectChoice(geo.WGS84, _l("WGS-84（GPS）"))]


class Coordinate(FloatField):
    """A float that must be a real number: "nan" and "inf" pass NumberRange otherwise."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(gettext("请填写有效的数字"))


def _lng(required_: bool = True):
    first = InputRequired(message=_l("请填写经度")) if required_ else Optional()
    return [first, NumberRange(min=-180, max=180, message=_l("经度须在 -180 到 180 之间"))]


def _lat(required_: bool = True):
    first = InputRequired(message=_l("请填写纬度")) if required_ else Optional()
    return [first, NumberRange(min=-90, max=90, message=_l("纬度须在 -90 到 90 之间"))]


def _coord_system(default: str):
    return SelectField(_l("坐标系"), choices=_SYSTEMS, default=default, validate_choice=False,
                       validators=[Optional(), AnyOf(list(geo.COORD_SYSTEMS), message=_l("坐标系只能是 gcj02 或 wgs84"))])


def _token(label, name_required):
    return StringField(label, filters=[strip], validators=[required(name_required), Length(
        max=TOKEN_MAX, message=_l("无法识别的二维码，请扫描个人建设码"))])


class ScanForm(FlaskForm):
    """{"token","purpose","lng"?,"lat"?,"coord_system"?}: a scanned personal construction code."""

    token = _token(_l("建设码"), "请扫描或输入建设码")
    purpose = SelectField(_l("扫码用途"), choices=_PURPOSES, validate_choice=False, validators=[
        required("请选择扫码用途"), AnyOf([c.value for c in _PURPOSES],
                                   message=_l("请选择扫码用途：确认进场、上班打卡、下班打卡或班前签到"))])
    lng = Coordinate(_l("经度"), validators=_lng(False))
    lat = Coordinate(_l("纬度"), validators=_lat(False))
    coord_system = _coord_system(geo.WGS84)


class WorkerSignInForm(FlaskForm):
    """{"project_id","officer_token","lng","lat","coord_system"}: 班前签到 by the worker."""

    project_id = IntegerField(_l("项目"), validators=[required("请选择项目"), an_id("请选择项目")])
    officer_token = _token(_l("班前签到员的建设码"), "请扫描班前签到员的建设码")
    lng = Coordinate(_l("经度"), validators=_lng())
    lat = Coordinate(_l("纬度"), validators=_lat())
    coord_system = _coord_system(geo.WGS84)


class SiteCodeAttendanceForm(FlaskForm):
    """{"site_token","kind","lng","lat","coord_system"}: the worker scanned the 工地建设码."""

    site_token = StringField(_l("工地建设码"), filters=[strip], validators=[
        required("请扫描工地建设码"), Length(max=TOKEN_MAX, message=_l("无法识别的二维码，请扫描项目的工地建设码"))])
    kind = SelectField(_l("打卡类型"), choices=_PURPOSES[1:3], validate_choice=False, validators=[
        required("请选择上班打卡或下班打卡"), AnyOf(["clock_in", "clock_out"], message=_l("请选择上班打卡或下班打卡"))])
    lng = Coordinate(_l("经度"), validators=_lng())
    lat = Coordinate(_l("纬度"), validators=_lat())
    coord_system = _coord_system(geo.WGS84)


class SigninLocationForm(FlaskForm):
    """【手动录入坐标】: {"lng","lat","radius_m","coord_system"}."""

    lng = Coordinate(_l("经度"), validators=_lng(), description=_l("例如 121.46558"))
    lat = Coordinate(_l("纬度"), validators=_lat(), description=_l("例如 31.189384"))
    radius_m = IntegerField(_l("签到范围（米）"), default=DEFAULT_RADIUS_M, validators=[
        Optional(), NumberRange(min=MIN_RADIUS_M, max=MAX_RADIUS_M, message=_l("签到范围须在 50 到 5000 米之间"))])
    coord_system = _coord_system(geo.GCJ02)


class OfficerForm(FlaskForm):
    """【添加授权】 → 班前签到员: {"person_id"}."""

    person_id = IntegerField(_l("被授权人"), validators=[required("请选择人员"), an_id("请选择人员")])


class ExitForm(FlaskForm):
    """【确认退场】: {"person_ids":[...]}."""

    person_ids = IdListField(_l("人员"), default=list)

    def validate_person_ids(self, field):
        if not field.data:
            raise ValidationError(gettext("请选择人员"))
        if len(field.data) > 500:
            raise ValidationError(gettext("一次最多处理%(num)d人，请分批操作。", num=500))
