"""Error pages for the site and problem+json for the API — never a stack trace."""
from flask import render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.api.problems import TITLES, UNKNOWN, problem_response
from app.extensions import db
from app.services.i18n import N_

PAGE_MESSAGES = {
    400: N_("请求有误，请返回后重试。"),
    403: N_("您没有权限执行此操作。"),
    404: N_("页面不存在，或您无权查看。"),
    405: N_("不支持该操作。"),
    413: N_("上传的文件过大。"),
    500: N_("系统出现错误，请稍后重试。"),
}


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def _csrf(error):
        if request.path.startswith("/api/"):
            return problem_response(400, gettext("请求格式错误"))
        return render_template("error.html", status=400,
                               message=gettext("页面已过期，请刷新页面后重新提交。")), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        if request.path.startswith("/api/"):
            detail = {404: gettext("记录不存在或无权查看"), 405: gettext("不支持的请求方法"),
                      413: gettext("请求内容过大")}.get(status, gettext(TITLES.get(status, UNKNOWN)))
            response = problem_response(status, detail)
            if getattr(error, "valid_methods", None):
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        message = gettext(PAGE_MESSAGES.get(status, "请求有误，请返回后重试。"))
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def _unexpected(error):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if isinstance(error, HTTPException):
            return _http(error)
        if request.path.startswith("/api/"):
            return problem_response(500, gettext("服务器内部错误"))
        return render_template("error.html", status=500, message=gettext(PAGE_MESSAGES[500])), 500
