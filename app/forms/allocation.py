"""Allocation forms: 【人员分配】 (people, role, job type) and the PM designation. The API
validates its JSON bodies with the same classes."""
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Optional, ValidationError

from app.forms.employment import job_type_choices
from app.forms.fields import MAX_ID, an_id, required
from app.services.job_types import JOB_TYPES

MAX_BATCH = 500


class IdListField(Field):
    """A list of positive integer ids: repeated form keys (checkboxes), which is also
    what the API's JSON → form flattening makes of a JSON list."""

    openapi_schema = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": MAX_BATCH}

    def process_formdata(self, valuelist):
        self.data = []
        for value in valuelist:
            text = str(value).strip()
            if not text.isdigit() or len(text) > 12 or not 1 <= int(text) <= MAX_ID:
                self.data = []
                raise ValueError(gettext("请选择人员"))
            self.data.append(int(text))

    def _value(self):
        return ",".join(str(v) for v in self.data or [])


class AllocationForm(FlaskForm):
    """{"person_ids": [...], "role": "worker"|"site_operator", "job_type"?}."""

    person_ids = IdListField(_l("人员"), default=list)
    role = SelectField(_l("分配角色"), choices=[SelectChoice("worker", _l("建筑工人")),
                                               SelectChoice("site_operator", _l("现场操作用户"))],
                       validate_choice=False,
                       validators=[AnyOf(["worker", "site_operator"],
                                         message=_l("请选择分配角色：建筑工人或现场操作用户"))])
    job_type = SelectField(_l("工种"), choices=job_type_choices(), validate_choice=False,
                           description=_l("仅分配建筑工人时适用；现场操作用户无需选择工种。"),
                           validators=[Optional(), AnyOf(list(JOB_TYPES), message=_l("请从工种列表中选择"))])

    def validate_person_ids(self, field):
        if not field.data:
            raise ValidationError(gettext("请选择人员"))
        if len(field.data) > MAX_BATCH:
            raise ValidationError(gettext("一次最多分配%(num)d人，请分批操作。", num=MAX_BATCH))


class ManagerForm(FlaskForm):
    """{"person_id"}: the enterprise's active 管理人员 to become its PM on the project."""

    person_id = IntegerField(_l("人员"), validators=[required("请选择人员"), an_id("请选择人员")])
