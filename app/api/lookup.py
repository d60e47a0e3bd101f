"""Fetching records for API views: absent and not-visible are the same 404."""
from flask import g
from flask_babel import gettext

from app.api.problems import ApiProblem
from app.extensions import db
from app.services.access import may


def visible(model, record_id, action: str):
    record = db.session.get(model, record_id)
    if record is None or not may(g.api_user, action, record):
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    return record


def require(action: str, obj=None):
    if not may(g.api_user, action, obj):
        raise ApiProblem(403, gettext("无权执行此操作"))
