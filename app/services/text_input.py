"""What text from outside may hold, wherever it enters (JSON bodies, form fields, file
names, query arguments, path segments): no NUL — PostgreSQL refuses it in text columns
where SQLite stores it — and no lone surrogate, which no encoder can write back out; and
JSON nested at most MAX_JSON_DEPTH levels. Pure functions: app/web/request_input.py
applies them to every request."""
import json
import re

from app.services.i18n import N_

MAX_JSON_DEPTH = 64
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")

FORBIDDEN_CHARACTERS = N_("请求中含有不允许的字符（空字符 U+0000 或不成对的代理字符）。")
FORBIDDEN_IN_FIELD = N_("含有不允许的字符")
TOO_DEEP = N_("JSON 嵌套不能超过 %(limit)d 层。")
NOT_UTF8 = N_("请求体须为 UTF-8 编码。")


def has_forbidden_characters(text: str) -> bool:
    return _FORBIDDEN.search(text) is not None


class UnsafeJSON(ValueError):
    """Well-formed JSON this application refuses; `message` is a msgid, `field` the dotted
    path of the offending value when it has one."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message)
        self.message, self.field, self.params = message, field, params


def load_json(data: bytes | str, **kwargs):
    """json.loads for text from outside: UTF-8 only, at most MAX_JSON_DEPTH deep, no
    forbidden characters in keys or strings. Malformed JSON stays a plain ValueError."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeJSON(NOT_UTF8) from None
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:  # the C decoder gives up at the interpreter's recursion limit
        raise UnsafeJSON(TOO_DEEP, limit=MAX_JSON_DEPTH) from None
    check_json(value)
    return value


def check_json(value) -> None:
    """Walks the decoded value without recursion (it may be ~1000 deep here)."""
    stack = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if has_forbidden_characters(item):
                raise UnsafeJSON(FORBIDDEN_CHARACTERS, field=path or None)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise UnsafeJSON(TOO_DEEP, limit=MAX_JSON_DEPTH)
        if isinstance(item, dict):
            for key, child in item.items():
                if has_forbidden_characters(key):
                    raise UnsafeJSON(FORBIDDEN_CHARACTERS, field=path or None)
                stack.append((child, depth + 1, f"{path}.{key}" if path else key))
        else:
            stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item))
