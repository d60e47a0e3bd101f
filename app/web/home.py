"""The start page: what this user can do, by role."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.extensions import db
from app.services import access, calendar, holidays

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    enterprises = db.session.scalars(access.visible_enterprises(current_user).limit(10)).all()
    projects = db.session.scalars(access.visible_projects(current_user).limit(10)).all()
    project_count = db.session.scalar(select(func.count()).select_from(
        access.visible_projects(current_user).order_by(None).subquery()))
    # From 1 November the administrator is reminded to enter next year's holidays.
    remind_year = holidays.year_to_remind(calendar.today_in_shanghai()) \
        if access.may(current_user, "platform.admin") else None
    return render_template("home.html", enterprises=enterprises, projects=projects, project_count=project_count,
                           remind_year=remind_year)
