"""An outbox message in words, for the batch page (the GC PM) and the monitor's list
(the administrator): 待推送 / 已推送 / 推送失败, the tries, the last error as a sentence."""
from flask_babel import gettext, lazy_gettext as _l

STATE_LABELS = {"pending": _l("待推送"), "delivered": _l("已推送"), "failed": _l("推送失败")}
STATE_BADGES = {"pending": "text-bg-warning", "delivered": "text-bg-success", "failed": "text-bg-danger"}
KIND_LABELS = {"payroll_push": _l("工资支付表推送银行")}
CHANNEL_LABELS = {"bank": _l("银行"), "sms": _l("短信")}


def describe(message) -> dict | None:
    if message is None:
        return None
    return {"id": message.id, "message_id": message.message_id, "state": message.state,
            "label": STATE_LABELS.get(message.state, message.state),
            "badge": STATE_BADGES.get(message.state, "text-bg-light"),
            "kind": KIND_LABELS.get(message.kind, message.kind),
            "channel": CHANNEL_LABELS.get(message.channel, message.channel),
            "attempts": message.attempts, "last_attempt_at": message.last_attempt_at,
            "next_attempt_at": message.next_attempt_at if message.state == "pending" else None,
            "delivered_at": message.delivered_at, "created_at": message.created_at,
            "batch_id": message.bank_batch_id, "batch_no": (message.details or {}).get("batch_no"),
            "error": gettext(message.last_error, **(message.last_error_params or {})) if message.last_error else "",
            "may_again": message.state in ("delivered", "failed")}
