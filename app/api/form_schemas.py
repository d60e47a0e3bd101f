"""JSON schemas of WTForms fields and forms, for the OpenAPI document and for the API's
check that a JSON list is given only where a field takes one."""
from wtforms import (BooleanField, DateField, FieldList, FileField, FormField, IntegerField,
                     SelectField, SelectMultipleField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp


def field_schema(field) -> dict:
    if getattr(field, "openapi_schema", None):  # a custom field describes itself
        return dict(field.openapi_schema)
    if isinstance(field, FormField):
        return form_schema(field.form_class)
    if isinstance(field, FieldList):
        return {"type": "array", "items": field_schema(field.unbound_field.bind(form=None, name="x"))}
    if isinstance(field, IntegerField):
        schema = {"type": "integer"}
    elif isinstance(field, BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, FileField):
        schema = {"type": "string", "format": "binary"}
    elif isinstance(field, SelectMultipleField):
        schema = {"type": "array", "items": {"enum": _choice_values(field)}}
    elif isinstance(field, SelectField):
        schema = {"type": "string", "enum": _choice_values(field)}
    else:
        schema = {"type": "string"}
    for v in field.validators:
        if isinstance(v, Length):
            if v.max and v.max > 0:
                schema["maxLength"] = v.max
            if v.min and v.min > 0:
                schema["minLength"] = v.min
        elif isinstance(v, NumberRange):
            if v.min is not None:
                schema["minimum"] = v.min
            if v.max is not None:
                schema["maximum"] = v.max
        elif isinstance(v, Regexp):
            schema["pattern"] = v.regex.pattern
    if field.label and field.label.text:
        schema["description"] = str(field.label.text)
    return schema


def _choice_values(field) -> list:
    return [getattr(c, "value", None) or c[0] for c in field.choices or []]


def form_schema(form_class) -> dict:
    form = form_class(meta={"csrf": False}) if _is_flask_form(form_class) else form_class()
    properties, required = {}, []
    for field in form:
        if field.name == "csrf_token":
            continue
        properties[field.short_name] = field_schema(field)
        if any(isinstance(v, (DataRequired, InputRequired)) for v in field.validators):
            required.append(field.short_name)
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _is_flask_form(form_class) -> bool:
    return any(c.__name__ == "FlaskForm" for c in form_class.__mro__)
