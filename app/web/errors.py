"""Error pages for the site and problem+json for the API — never a stack trace."""
from flask import render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.api.problems import TITLES, UNKNOWN, problem_response
from app.extensions import db
from app.services import text_input
from app.services.i18n import N_
from app.web.request_input import RefusedInput

PAGE_MESSAGES = {
    400: N_("请求有误，请返回后重试。"),
    403: N_("您没有权限执行此操作。"),
    404: N_("页面不存在，或您无权查看。"),
    405: N_("不支持该操作。"),
    413: N_("上传的文件过大。"),
    500: N_("系统出现错误，请稍后重试。"),
}
DATABASE_UNAVAILABLE = N_("数据库暂时无法连接，请稍后重试。")
CHANGED_MEANWHILE = N_("记录已被他人更新，请刷新后重试。")
RETRY_AFTER_SECONDS = "5"


def register_error_handlers(app):
    @app.teardown_appcontext  # runs before Flask-SQLAlchemy's own (teardowns run in reverse)
    def _release_session(_exc):
        _reset_session(db.session.close)

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

    @app.errorhandler(RefusedInput)
    def _refused_input(error: RefusedInput):
        message = gettext(error.message, **error.params)
        if request.path.startswith("/api/"):
            errors = {error.field: gettext(text_input.FORBIDDEN_IN_FIELD)} if error.field else None
            return problem_response(400, message, errors)
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError):
        """A connection that died under a request (the server restarted, or an administrator
        ended the backend): 503, try again; the pool pre-pings before the next checkout.
        OperationalError is the DB-API's class for the rest of that family (cannot connect,
        database locked). Anything else is a bug: 500 below."""
        if not (error.connection_invalidated or isinstance(error, OperationalError)):
            return _unexpected(error)
        _reset_session(db.session.rollback)
        app.logger.warning("database unavailable on %s %s: %s: %s", request.method, request.path,
                           type(error.orig).__name__, str(error.orig).split("\n")[0])
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        if request.path.startswith("/api/"):
            return problem_response(503, gettext(DATABASE_UNAVAILABLE), headers=headers)
        return _page(503, gettext(DATABASE_UNAVAILABLE)), 503, headers

    @app.errorhandler(StaleDataError)
    def _changed_meanwhile(_error):
        """Two writers raced on one versioned row (an instance completed while an
        administrator terminated it): the later commit is refused, nothing of it kept."""
        _reset_session(db.session.rollback)
        if request.path.startswith("/api/"):
            return problem_response(409, gettext(CHANGED_MEANWHILE))
        return _page(409, gettext(CHANGED_MEANWHILE)), 409

    @app.errorhandler(Exception)
    def _unexpected(error):
        _reset_session(db.session.rollback)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if isinstance(error, HTTPException):
            return _http(error)
        if request.path.startswith("/api/"):
            return problem_response(500, gettext("服务器内部错误"))
        return render_template("error.html", status=500, message=gettext(PAGE_MESSAGES[500])), 500


def _reset_session(end) -> None:
    """Ends the session's transaction with `end` (rollback or close). On a connection the
    server has ended, the ROLLBACK this sends fails too — in teardown, after the response
    was made, that turned a good answer into a 500: the connection is discarded instead."""
    try:
        end()
    except DBAPIError:
        db.session().invalidate()  # the scoped proxy does not offer invalidate


def _page(status: int, message: str) -> str:
    try:
        return render_template("error.html", status=status, message=message)
    except DBAPIError:  # the layout reads the signed-in user, and the database is what failed
        _reset_session(db.session.rollback)
        return f"<!doctype html><title>{status}</title><p>{escape(message)}</p>"
