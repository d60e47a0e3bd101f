"""【消息通知】 for the person (/me/notices): their own notices, newest first, 20 a page;
the ones shown are marked read. Only ever the signed-in person's notices. Requests that
wait for their answer (a hire to consent to, a dismissal) are tasks in the inbox: the
page leads there first, so a worker has one 消息通知."""
from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required

from app.extensions import db
from app.services import notices as service
from app.web.inbox import open_task_count

bp = Blueprint("notices", __name__, url_prefix="/me")


@bp.route("/notices")
@login_required
def index():
    person = current_user.person
    if person is None:  # staff accounts without a personal record get notices in 待办事项
        abort(404)
    page = db.paginate(service.of_person(person.id), page=max(request.args.get("page", 1, type=int), 1),
                       per_page=service.PAGE_SIZE, error_out=False)
    rows = [{"id": n.id, "text": service.render(n, gettext), "link": n.link, "created_at": n.created_at,
             "unread": n.read_at is None} for n in page.items]
    service.mark_read(person.id, [row["id"] for row in rows if row["unread"]])
    db.session.commit()
    response = make_response(render_template("worker/notices.html", page=page, rows=rows,
                                             waiting=open_task_count(current_user)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def unread_count(user) -> int:
    """For the menu's badge and the home's shortcut: 0 for staff without a person."""
    person = getattr(user, "person", None)
    return service.unread_count(person.id) if person is not None else 0
