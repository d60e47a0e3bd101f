"""Small helpers the page views share."""
from types import SimpleNamespace

from flask import abort, current_app, flash, request
from flask_babel import gettext
from flask_login import current_user

from app.extensions import db
from app.services.access import may
from app.services.errors import DomainError
from app.services.job_types import JOB_TYPES, job_type_name


def visible_or_404(model, record_id, action: str):
    """Absent and not-visible look the same: a 404."""
    record = db.session.get(model, record_id)
    if record is None or not may(current_user, action, record):
        abort(404)
    return record


def require(action: str, obj=None):
    if not may(current_user, action, obj):
        abort(403)


def show_domain_error(form, error: DomainError):
    """Puts a rule's refusal next to its field, or at the top of the page."""
    db.session.rollback()
    message = gettext(error.message, **error.params)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [message]
    else:
        flash(message, "danger")


def paginate(query):
    page = request.args.get("page", 1, type=int)
    return db.paginate(query, page=max(page, 1), per_page=current_app.config["PAGE_SIZE"], error_out=False)


def trade_name(code: str | None) -> str:
    """The trade (工种) in the reader's language; the stored name stays Chinese (PDF, API)."""
    name = job_type_name(code)
    return gettext(name) if code in JOB_TYPES else name


def page_of_list(rows: list, page: int, per_page: int) -> SimpleNamespace:
    """The shape the `pager` macro reads, for a list already in memory."""
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    return SimpleNamespace(items=rows[(page - 1) * per_page:page * per_page], page=page, pages=pages,
                           total=len(rows), has_prev=page > 1, has_next=page < pages,
                           prev_num=page - 1, next_num=page + 1)
