"""Writes the audit log. Callers add the entry inside their own transaction, so an
action and its audit entry are committed — or rolled back — together."""
from app.extensions import db
from app.models import AuditEntry


def record(actor, action: str, record_type: str, record_id, reason: str | None = None,
           **details) -> AuditEntry:
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        reason=reason,
        details=details or None,
    )
    db.session.add(entry)
    return entry
