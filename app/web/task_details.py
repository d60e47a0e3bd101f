"""What a task page shows about its business record beyond the subject's names — for
now the dismissal the person is asked to answer: 解聘原因, 发起人 and 发起时间 (issue 19)."""
from app.extensions import db
from app.models import Separation, User


def dismissal_facts(row) -> dict | None:
    """The dismissal behind a task of the dismissal flow, or None for any other task."""
    if row.process_key != "dismissal":
        return None
    separation_id = (row.subject or {}).get("separation_id")
    separation = db.session.get(Separation, separation_id) if isinstance(separation_id, int) else None
    if separation is None:
        return None
    initiator = db.session.get(User, separation.requested_by_id) if separation.requested_by_id else None
    return {"reason": separation.reason, "initiator": initiator.name if initiator else "",
            "enterprise": separation.enterprise.name, "requested_at": separation.requested_at}
