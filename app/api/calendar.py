"""The holiday schedule by year (API.md "Administration"): what due dates are counted with."""
from flask import g

from app.api import bp
from app.api.lookup import require
from app.api.registry import endpoint
from app.extensions import db
from app.forms.calendar import CalendarYearForm
from app.services import calendar, holidays

SCHEDULE = {"year": "integer", "holidays": "array", "workdays": "array", "source": "string",
            "estimate": "boolean", "entered_at": "date-time"}


def schedule_json(schedule: calendar.YearSchedule) -> dict:
    """source: administrator (entered here), package (the chinesecalendar release) or
    estimate (not known: due dates in it count Monday to Friday, marked 预计)."""
    body = {"year": schedule.year, "holidays": [d.isoformat() for d in sorted(schedule.holidays)],
            "workdays": [d.isoformat() for d in sorted(schedule.workdays)], "source": schedule.source,
            "estimate": schedule.is_estimate}
    if schedule.entered_at:  # only a year the administrator entered
        body["entered_at"] = schedule.entered_at.isoformat()
    return body


@endpoint(bp, "/admin/calendar/<int:year>", "GET", tag="admin",
          summary="A year's statutory holidays and make-up working days, as due dates count them (admin)",
          responses={200: SCHEDULE, 403: None, 404: None})
def get_calendar_year(year: int):
    require("platform.admin")
    holidays.require_year(year)
    return schedule_json(calendar.schedule_for(year))


@endpoint(bp, "/admin/calendar/<int:year>", "PUT", tag="admin", form=CalendarYearForm,
          summary="Enter a year's statutory holidays and make-up working days as published (admin)",
          responses={200: {**SCHEDULE, "rescheduled": "integer"}, 403: None, 404: None, 409: None, 422: None})
def put_calendar_year(year: int, form):
    require("platform.admin")
    moved = holidays.enter_year(g.api_user, year, form.holidays.data, form.workdays.data)
    db.session.commit()
    return {**schedule_json(calendar.schedule_for(year)), "rescheduled": moved}
