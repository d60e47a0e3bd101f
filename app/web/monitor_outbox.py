"""外发消息 in the process monitor: every message to the outside world (bank pushes; SMS
later) with its state — 待推送, 已推送, 推送失败 — its tries and last error, and the
administrator's 【重新推送】 (confirmed, with a reason, audited). Administrators only (the
monitor blueprint's check)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from app.extensions import db
from app.forms.outbox import RedeliverForm
from app.models import OutboxMessage
from app.services import outbox
from app.services.errors import DomainError
from app.web.helpers import paginate
from app.web.monitor import MAX_ID, bp
from app.web.outbox_status import CHANNEL_LABELS, STATE_LABELS, describe


def _filters() -> dict:
    state, channel = request.args.get("state", ""), request.args.get("channel", "")
    return {"state": state if state in STATE_LABELS else "", "channel": channel if channel in CHANNEL_LABELS else ""}


@bp.route("/outbox")
def outbox_messages():
    filters = _filters()
    page = paginate(outbox.messages(filters["state"] or None, filters["channel"] or None))
    page.rows = [describe(message) for message in page.items]
    return render_template("monitor/outbox.html", page=page, filters=filters, counts=outbox.state_counts(),
                           states=STATE_LABELS, channels=CHANNEL_LABELS, form=RedeliverForm(),
                           kept={k: v for k, v in filters.items() if v})


@bp.route("/outbox/<int:message_id>/redeliver", methods=["POST"])
def redeliver_message(message_id: int):
    """【重新推送】: pending again with its stored bytes; the scheduler delivers it."""
    message = db.session.get(OutboxMessage, message_id) if message_id <= MAX_ID else None
    if message is None:
        abort(404)
    form = RedeliverForm()
    back = redirect(url_for(".outbox_messages", **_filters()))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return back
    try:
        outbox.requeue(message, current_user, form.reason.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return back
    flash(gettext("%(id)s 已重新加入待推送队列，系统将自动推送", id=message.message_id), "success")
    return back
