"""Request data is checked once, where it enters, for the API and the pages alike: JSON
bodies in the app's JSON provider (every get_json, silent or not), form fields and file
names in the request's form parser, path segments and query arguments in a
before_request hook. A refusal is RefusedInput, a 400 that app/web/errors.py renders as
problem+json or an error page; it is raised as the data is first read, before a view
acts on it, so nothing changes."""
from flask import Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

from app.services import text_input
from app.services.i18n import N_

FORM_UNREADABLE = N_("表单数据无法解析，请以 UTF-8 编码提交。")
_MAX_FIELD_NAME = 100  # an `errors` key echoes a field name: keep a hostile one short


class RefusedInput(BadRequest):
    """Request data the application refuses; `message` is a msgid shown with `params`."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__()
        self.message, self.params = message, params
        self.field = field[:_MAX_FIELD_NAME] if field else None


class CheckedJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return text_input.load_json(s, **kwargs)
        except text_input.UnsafeJSON as refusal:
            # not a ValueError any more: get_json(silent=True) must not swallow it
            raise RefusedInput(refusal.message, refusal.field, **refusal.params) from None


class _CheckedFormParser(FormDataParser):
    """Checks a form body when it is read (so not before the view authenticates the
    caller). Werkzeug silently drops a form it cannot decode (header bytes that are not
    UTF-8, a broken multipart) and the view would see an empty form: say so instead."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "silent": False})

    def parse(self, *args, **kwargs):
        try:
            stream, form, files = super().parse(*args, **kwargs)
        except ValueError:
            raise RefusedInput(FORM_UNREADABLE) from None
        _refuse_forbidden_characters(_form_texts(form, files))
        return stream, form, files


class CheckedRequest(Request):
    form_data_parser_class = _CheckedFormParser


def _form_texts(form, files):
    for name, value in form.items(multi=True):
        yield name, name
        yield name, value
    for name, upload in files.items(multi=True):
        yield name, name
        if isinstance(upload, FileStorage):
            yield name, upload.filename


def _url_texts():
    for name, value in (request.view_args or {}).items():
        yield name, value
    for name, value in request.args.items(multi=True):
        yield name, name
        yield name, value


def _refuse_forbidden_characters(texts) -> None:
    """(field name, text) pairs; a multipart part may lack a name or a file name."""
    for name, text in texts:
        if isinstance(text, str) and text_input.has_forbidden_characters(text):
            field = name if isinstance(name, str) and not text_input.has_forbidden_characters(name) else None
            raise RefusedInput(text_input.FORBIDDEN_CHARACTERS, field)


def refuse_forbidden_characters_in_url() -> None:
    _refuse_forbidden_characters(_url_texts())


def install(app) -> None:
    app.request_class = CheckedRequest
    app.json = CheckedJSONProvider(app)
    app.before_request(refuse_forbidden_characters_in_url)
