"""The start page: the worker's 个人服务 from their own employments (worker_home.py),
and staff's enterprises and projects by role; a person who is both sees both."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.extensions import db
from app.services import access, calendar, holidays
from app.web import worker_home

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    worker = worker_home.for_user(current_user)  # from employments, not grants
    staff = worker is None or bool(current_user.grants)  # a person who is both sees both
    if not staff:
        return render_template("home.html", worker=worker, staff=False, remind_year=None)
    enterprises = db.session.scalars(access.visible_enterprises(current_user).limit(10)).all()
    projects = db.session.scalars(access.visible_projects(current_user).limit(10)).all()
    project_count = db.session.scalar(select(func.count()).select_from(
        access.visible_projects(current_user).order_by(None).subquery()))
    # From 1 November the administrator is reminded to enter next year's holidays.
    remind_year = holidays.year_to_remind(calendar.today_in_shanghai()) \
        if access.may(current_user, "platform.admin") else None
    return render_template("home.html", enterprises=enterprises, projects=projects, project_count=project_count,
                           remind_year=remind_year, worker=worker, staff=True)
