"""解聘待确认: resignations awaiting the enterprise's 【同意】, as open tasks of the
resignation flow. The separation pages list and complete them; the staff list (人员管理)
shows their count on its badge."""
from sqlalchemy import func

from app.extensions import db
from app.models import Enterprise, HumanTask
from app.workflow import inbox

AGREE_TASK = "enterprise_agree"  # the resignation flow's user task for the enterprise


def agreement_tasks(user, enterprise: Enterprise):
    """The user's open 解聘待确认 tasks (resignations awaiting agreement) of this enterprise."""
    return inbox.my_tasks(user, process_key="resignation").where(
        HumanTask.task_key == AGREE_TASK, HumanTask.candidate_enterprise_id == enterprise.id)


def agreement_count(user, enterprise: Enterprise) -> int:
    """For the 【解聘待确认】 badge on the staff list."""
    query = agreement_tasks(user, enterprise).order_by(None).with_only_columns(func.count(HumanTask.id))
    return db.session.scalar(query) or 0
