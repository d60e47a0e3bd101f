"""【节假日安排】: the administrator enters a year's holidays and make-up working days when the
State Council publishes them. Replacing a year that already has a schedule (entered, or
from the package) shows what changes and asks 【确认替换】 first."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.extensions import db
from app.forms.calendar import CalendarYearPageForm, as_runs
from app.services import calendar, holidays
from app.services.errors import DomainError
from app.web.admin import bp
from app.web.helpers import require, show_domain_error


@bp.route("/calendar")
@login_required
def calendar_years():
    require("platform.admin")
    today = calendar.today_in_shanghai()
    return render_template("admin/calendar.html", schedules=holidays.overview(today),
                           remind_year=holidays.year_to_remind(today))


def _changes(current, new_holidays, new_workdays) -> list[tuple[str, str]]:
    """(what, dates as runs) for each kind of change, for the confirmation."""
    changes = [(gettext("新增放假日期"), new_holidays - current.holidays),
               (gettext("取消放假日期"), current.holidays - new_holidays),
               (gettext("新增调休上班日期"), new_workdays - current.workdays),
               (gettext("取消调休上班日期"), current.workdays - new_workdays)]
    return [(label, as_runs(days).replace("\n", "、")) for label, days in changes if days]


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
@login_required
def calendar_year(year: int):
    require("platform.admin")
    if not holidays.FIRST_YEAR <= year <= holidays.LAST_YEAR:
        abort(404)
    current = calendar.schedule_for(year)
    form = CalendarYearPageForm()
    if not form.is_submitted():
        form = CalendarYearPageForm(formdata=None, data={"holidays": current.holidays, "workdays": current.workdays})
    changes = None
    if form.validate_on_submit():
        try:
            new_holidays, new_workdays = holidays.check_schedule(year, form.holidays.data, form.workdays.data)
            key = holidays.replacement_key(current, new_holidays, new_workdays)
            if current.is_estimate or form.confirm.data == key:
                moved = holidays.enter_year(current_user, year, new_holidays, new_workdays)
                db.session.commit()
                flash(gettext("已保存%(year)d年的节假日安排，%(moved)d条待处理登记的预计完成日期已重新计算。",
                              year=year, moved=moved), "success")
                return redirect(url_for(".calendar_years"))
            form.confirm.data = key
            changes = _changes(current, new_holidays, new_workdays)
        except DomainError as error:
            show_domain_error(form, error)
    return render_template("admin/calendar_year.html", form=form, year=year, current=current, changes=changes)
