"""RFC 9457 problem+json responses: every API error goes out through here."""
from flask import current_app, json
from flask_babel import gettext
from app.services.i18n import N_

UNKNOWN = N_("错误")
TITLES = {
    400: N_("请求格式错误"),
    401: N_("需要登录"),
    403: N_("无权操作"),
    404: N_("未找到"),
    405: N_("不支持的请求方法"),
    409: N_("状态冲突"),
    413: N_("请求内容过大"),
    415: N_("不支持的内容类型"),
    422: N_("校验未通过"),
    429: N_("请求过于频繁"),
    500: N_("服务器内部错误"),
    503: N_("服务暂时不可用"),
}


class ApiProblem(Exception):
    """Raised anywhere inside an API view to answer with a problem."""

    def __init__(self, status: int, detail: str, errors: dict | None = None, headers: dict | None = None,
                 extra: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}
        self.extra = extra or {}  # further members of the problem (RFC 9457 §3.2), e.g. a deploy's `problems`


def problem_response(status: int, detail: str, errors: dict | None = None, headers: dict | None = None,
                     extra: dict | None = None):
    body = {
        "type": "about:blank",
        "title": gettext(TITLES.get(status, UNKNOWN)),
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
