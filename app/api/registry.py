"""The API's endpoint decorator: routing, authentication, body validation and the
metadata from which the OpenAPI document is generated — one declaration for all four."""
import functools
from dataclasses import dataclass, field

from flask import g, request
from flask_babel import gettext
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import FormField

from app.api.form_schemas import field_schema
from app.api.problems import ApiProblem
from app.services import accounts


@dataclass
class Endpoint:
    rule: str
    method: str
    summary: str
    tag: str
    form: type | None = None
    auth: bool = True
    responses: dict = field(default_factory=dict)
    query: tuple = ()
    body: str = "json"  # json | multipart | xml
    view: str = ""


ENDPOINTS: list[Endpoint] = []
# auth=TOKEN_IN_VIEW: the view checks the bearer token in its own statement (the sign-in at
# the morning peak): the wrapper only takes the token (401 without one) into g.api_token.
TOKEN_IN_VIEW = "in_view"


def endpoint(bp, rule: str, method: str, *, summary: str, tag: str, form=None, auth=True,
             responses: dict | None = None, query: tuple = (), body: str = "json"):
    """Registers an API view. With ``form``, the view receives the validated form."""

    def decorate(view):
        meta = Endpoint(rule, method, summary, tag, form, auth, responses or {}, query, body, view.__name__)
        ENDPOINTS.append(meta)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if auth == TOKEN_IN_VIEW:
                g.api_token = bearer_token()
            elif auth:
                g.api_user = authenticated_user()
            if form is not None:
                try:
                    kwargs["form"] = validated(form)
                except ApiProblem:
                    if auth == TOKEN_IN_VIEW:
                        authenticated_user()  # a refused token answers 401 before a bad body's 422
                    raise
            return view(*args, **kwargs)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapper, methods=[method])
        return wrapper

    return decorate


def bearer_token() -> str:
    """The request's bearer token; 401 without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, gettext("缺少访问令牌"), headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def authenticated_user():
    user = accounts.user_for_token(bearer_token())
    if user is None:
        raise token_refused()
    return user


def token_refused() -> ApiProblem:
    return ApiProblem(401, gettext("访问令牌无效或已过期"), headers={"WWW-Authenticate": "Bearer"})


def json_body() -> dict:
    """The request's JSON object; anything else is a 400. Reading it refuses NUL, lone
    surrogates and nesting beyond 64 levels (a 400 too): the app's JSON provider does that
    for every get_json, see app/web/request_input.py."""
    data = request.get_json(silent=True)
    if data is None and request.get_data(cache=True):
        raise ApiProblem(400, gettext("请求体不是有效的JSON"))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ApiProblem(400, gettext("请求体应为JSON对象"))
    return data


def _flatten(data: dict, prefix: str = "") -> MultiDict:
    """JSON → the form data WTForms reads, so the page's form class validates the API
    body with the same coercion; nested objects map onto FormField prefixes."""
    out = MultiDict()
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            for k, v in _flatten(value, f"{name}-").items(multi=True):
                out.add(k, v)
        elif isinstance(value, list):
            for item in value:
                out.add(name, _scalar(item))
        elif value is not None:
            out.add(name, _scalar(value))
    return out


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "\x00invalid"  # fails every field validator instead of being coerced
    return str(value)


def form_errors(form) -> dict:
    """{field: first message}; nested fields as ``outer.inner``."""
    errors = {}
    for name, messages in form.errors.items():
        if isinstance(messages, dict):
            for inner, inner_messages in messages.items():
                errors[f"{name}.{inner}"] = str(inner_messages[0])
        elif messages:
            errors[name] = str(messages[0])
    return errors


def _misplaced_lists(form, mapping: dict, prefix: str = "") -> dict:
    """{field: message} for JSON lists where the OpenAPI document says one value: the
    form data that flattening makes of a list would otherwise read as its first item."""
    errors = {}
    for key, value in mapping.items():
        target = form._fields.get(key)
        if target is None:
            continue  # unknown keys are ignored, as always
        if isinstance(value, dict) and isinstance(target, FormField):
            errors.update(_misplaced_lists(target.form, value, f"{prefix}{key}."))
        elif isinstance(value, list) and field_schema(target).get("type") != "array":
            errors[f"{prefix}{key}"] = gettext("此处应为单个值，不能是列表")
    return errors


def _bound(form_class, formdata, mapping: dict | None):
    """The form bound to the data and validated; 422 with every field's error if not."""
    form = form_class(formdata=formdata, meta={"csrf": False})
    valid = form.validate()
    errors = _misplaced_lists(form, mapping) if mapping else {}
    if not valid or errors:
        raise ApiProblem(422, gettext("提交的数据未通过校验"), errors={**form_errors(form), **errors})
    return form


def form_from_mapping(form_class, mapping: dict):
    """A form bound to a JSON object (e.g. a task's ``data``), validated; 422 if not."""
    return _bound(form_class, _flatten(mapping), mapping)


def validated(form_class):
    if request.mimetype == "multipart/form-data":
        return _bound(form_class, CombinedMultiDict([request.files, request.form]), None)
    body = json_body()
    return _bound(form_class, _flatten(body), body)
